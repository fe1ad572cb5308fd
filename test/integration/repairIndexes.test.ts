import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createTransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import type { NewTransaction } from '../../functions/lib/store/transactionKeys.ts';
import { ensureTable } from '../../infra/local/createResources.ts';
import { type Emulator, startDynalite } from '../../infra/local/emulators.ts';
import { repairIndexes, repairStatusCounts } from '../../infra/local/repairIndexes.ts';
import { indexEntries } from '../support/indexEntries.ts';
import { newTransaction } from '../support/startTestTable.ts';

// dynalite's own modules, reached through dynalite so that they are the versions it runs with.
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { createIndexKey } = fromDynalite('./db/index.js') as {
  createIndexKey(item: Record<string, unknown>, table: unknown, keySchema: unknown): string;
};
type LevelDb = {
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
};
const { ClassicLevel } = fromDynalite('classic-level') as {
  ClassicLevel: new (path: string, options: { valueEncoding: 'json' }) => LevelDb;
};

type TableDescription = { GlobalSecondaryIndexes: Array<{ IndexName: string; KeySchema: unknown }> };

const dir = mkdtempSync(join(tmpdir(), 'repair-indexes-'));
const path = join(dir, 'dynamodb');
const tableName = 'repair';
let dynalite: Emulator | undefined;

afterAll(async () => {
  await dynalite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function open() {
  dynalite = await startDynalite(path);
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynalite.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
  };
}

async function close() {
  await dynalite?.stop();
  dynalite = undefined;
}

const newTransactionAt = (id: string, second: number): NewTransaction =>
  newTransaction({ id, createdAt: `2026-03-01T00:00:0${second}.000Z` });

const sortKeyOf = (tx: NewTransaction) => `${tx.createdAt}#${tx.id}`;

describe('repairIndexes (what a runner killed mid-write leaves in dynalite)', () => {
  it('drops stale and orphaned index entries, restores missing and outdated ones, and finishes interrupted repairs', async () => {
    // prepare: A succeeded, B is pending, D succeeded but a repair of it was cut short.
    const first = await open();
    await ensureTable(first.dynamo, tableName);
    let doc = first.doc;
    const store = createTransactionStore(doc, tableName);
    const [a, b, d] = [newTransactionAt('a', 1), newTransactionAt('b', 2), newTransactionAt('d', 3)];
    for (const tx of [a, b, d]) await store.create(tx, Date.now() + 60_000);
    for (const tx of [a, d]) {
      const at = new Date().toISOString();
      await store.applyOutcome({ id: tx.id, status: 'success', attempt: 1, at, message: 'accepted' }, Date.now());
    }
    const dTrue = (await doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'tx#d' } }))).Item;
    // The interrupted repair: D's true state journaled, D itself given its old status for the moment.
    await doc.send(new PutCommand({ TableName: tableName, Item: { pk: 'repair#tx#d', item: dTrue } }));
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...dTrue, status: 'pending' } }));
    // And one cut short while it put back an entry that pointed at nothing (its journal holds no item).
    const ghost2 = { pk: 'tx#ghost2', kind: 'tx', sortKey: '2026-03-01T00:00:08.000Z#ghost2' };
    await doc.send(new PutCommand({ TableName: tableName, Item: { pk: 'repair#tx#ghost2' } }));
    await doc.send(new PutCommand({ TableName: tableName, Item: ghost2 }));
    // E is signed: bySender copies all of it.
    const e = { ...newTransactionAt('e', 4), pk: 'tx#e', kind: 'tx', status: 'success', attempts: 1 };
    const eSigned = { ...e, sortKey: sortKeyOf(e), senderKey: '31337#0xabc', nonce: 7, txHash: '0xe' };
    await doc.send(new PutCommand({ TableName: tableName, Item: eSigned }));
    await close();

    // Then, straight into dynalite's LevelDB, as a kill between an item's write and its index writes leaves it:
    const level = new ClassicLevel(path, { valueEncoding: 'json' });
    await level.open();
    const table = (await level.get(`table~${tableName}`)) as TableDescription;
    const entryKey = (indexName: string, item: Record<string, unknown>) => {
      const index = table.GlobalSecondaryIndexes.find((i) => i.IndexName === indexName);
      return `index-global~${tableName}~${indexName}~${createIndexKey(item, table, index?.KeySchema)}`;
    };
    // A's old `pending` entry in byStatus was never deleted;
    const staleA = { pk: { S: 'tx#a' }, status: { S: 'pending' }, sortKey: { S: sortKeyOf(a) } };
    await level.put(entryKey('byStatus', staleA), staleA);
    // B's byKind entry was never written;
    await level.del(entryKey('byKind', { pk: { S: 'tx#b' }, kind: { S: 'tx' }, sortKey: { S: sortKeyOf(b) } }));
    // and a byKind entry points at an item that was never written.
    const ghost = { pk: { S: 'tx#ghost' }, kind: { S: 'tx' }, sortKey: { S: '2026-03-01T00:00:09.000Z#ghost' } };
    await level.put(entryKey('byKind', ghost), ghost);
    // E's bySender entry still copies it as it was before its outcome (right keys, older attributes).
    const eKey = entryKey('bySender', { pk: { S: 'tx#e' }, senderKey: { S: '31337#0xabc' }, nonce: { N: '7' } });
    const eEntry = (await level.get(eKey)) as Record<string, unknown>;
    expect(eEntry).toMatchObject({ status: { S: 'success' } });
    await level.put(eKey, { ...eEntry, status: { S: 'pending' } });
    await level.close();

    // act
    doc = (await open()).doc;
    const repaired = await repairIndexes(doc, tableName);

    // assess
    const ids = async (indexName: string, partition: string, value: string) =>
      (await indexEntries(doc, tableName, indexName, { name: partition, value }))
        .map((i) => String(i.pk).slice('tx#'.length))
        .sort();
    expect(await ids('byStatus', 'status', 'pending')).toEqual(['b']);
    expect(await ids('byStatus', 'status', 'success')).toEqual(['a', 'd', 'e']);
    expect(await ids('byKind', 'kind', 'tx')).toEqual(['a', 'b', 'd', 'e']);
    const bySender = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'bySender',
        KeyConditionExpression: 'senderKey = :s',
        ExpressionAttributeValues: { ':s': '31337#0xabc' },
      }),
    );
    expect(bySender.Items).toEqual([eSigned]);
    const get = async (pk: string) => (await doc.send(new GetCommand({ TableName: tableName, Key: { pk } }))).Item;
    expect(await get('tx#ghost')).toBeUndefined();
    expect(await get('repair#tx#d')).toBeUndefined();
    expect(await get('tx#ghost2')).toBeUndefined();
    expect(await get('repair#tx#ghost2')).toBeUndefined();
    expect(await get('tx#d')).toEqual(dTrue);
    // Two interrupted repairs finished, then: A's stale entry, B's missing one, the orphan, E's old copy.
    expect(repaired).toBe(6);
    // Repaired means consistent: a second pass finds nothing to do.
    expect(await repairIndexes(doc, tableName)).toBe(0);

    // The admin's day counters left short (E was written with no count, as a kill between a status write and
    // its count leaves one) are rebuilt from the repaired index by the start-up after an unclean stop.
    const day = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' };
    expect(await createTransactionStore(doc, tableName).countByStatus(day)).toMatchObject({ pending: 1, success: 2 });
    expect(await repairStatusCounts(doc, tableName, { uncleanStop: true })).toBe(1);
    expect(await createTransactionStore(doc, tableName).countByStatus(day)).toMatchObject({ pending: 1, success: 3 });
  });
});

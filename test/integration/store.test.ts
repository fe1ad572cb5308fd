import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItems } from '../../functions/lib/store/getItems.ts';
import { createTransactionStore, type TransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import type { indexes } from '../../functions/lib/store/tableDesign.ts';
import { openShardOf } from '../../functions/lib/store/transactionKeys.ts';
import { indexEntries } from '../support/indexEntries.ts';
import { newTransaction, startTestTable, type TestTable } from '../support/startTestTable.ts';

let table: TestTable;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: TransactionStore;

beforeAll(async () => {
  table = await startTestTable('store');
  ({ doc, tableName, store } = table);
});

afterAll(async () => {
  await table?.stop();
});

const newTransactionAt = (createdAt: string) => newTransaction({ createdAt });

describe('getItems', () => {
  it('reads more keys than one BatchGetItem takes, in the order asked, leaving out keys with no item', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => ({ pk: `probe#${String(i).padStart(3, '0')}` }));
    // Every third key has an item; the rest do not exist.
    await Promise.all(
      keys
        .filter((_, i) => i % 3 === 0)
        .map((key, i) => doc.send(new PutCommand({ TableName: tableName, Item: { ...key, n: i } }))),
    );
    const asked = [...keys].reverse();
    const items = await getItems(doc, tableName, asked);
    const expected = asked.filter((k) => Number(k.pk.slice(-3)) % 3 === 0).map((k) => k.pk);
    expect(items.map((i) => i.pk)).toEqual(expected);
    expect(items).toHaveLength(84);
  });
});

describe('indexes', () => {
  it('copy only what their design names, so that listings read each transaction from the table', async () => {
    const tx = newTransactionAt('2026-01-01T00:00:00.000Z');
    await store.create(tx, Date.now() + 60_000);
    const entryIn = async (indexName: keyof typeof indexes, partition: string, value: string) =>
      (await indexEntries(doc, tableName, indexName, { name: partition, value })).find((i) => i.pk === `tx#${tx.id}`);
    expect(Object.keys((await entryIn('byKind', 'kind', 'tx')) ?? {}).sort()).toEqual(['kind', 'pk', 'sortKey']);
    expect(Object.keys((await entryIn('byStatus', 'status', 'pending')) ?? {}).sort()).toEqual([
      'pk',
      'sortKey',
      'status',
    ]);
  });

  it('an include index copies the attributes its design names besides the keys', async () => {
    const tx = newTransactionAt('2026-01-02T00:00:00.000Z');
    await store.create(tx, 1_000);
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'open',
        KeyConditionExpression: 'openShard = :s AND dueAt = :d',
        ExpressionAttributeValues: { ':s': openShardOf(tx.id), ':d': 1_000 },
      }),
    );
    expect(out.Items).toEqual([
      { pk: `tx#${tx.id}`, openShard: openShardOf(tx.id), dueAt: 1_000, id: tx.id, attempts: 0, status: 'pending' },
    ]);
  });

  it('a listing by status leaves out what has left that status since its index entry was read', async () => {
    const moved = newTransactionAt('2026-04-01T00:00:00.000Z');
    const stays = newTransactionAt('2026-04-01T00:00:01.000Z');
    for (const tx of [moved, stays]) await store.create(tx, Date.now() + 60_000);
    const range = { from: '2026-04-01T00:00:00.000Z', to: '2026-04-02T00:00:00.000Z' };
    // The byStatus entries as they were while both were pending: on AWS an index can still answer this
    // after the table has moved on.
    const pendingEntries = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :p AND sortKey BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':p': 'pending', ':from': range.from, ':to': range.to },
        ScanIndexForward: false,
      }),
    );
    expect(pendingEntries.Items).toHaveLength(2);
    await store.applyOutcome(
      { id: moved.id, status: 'success', attempt: 1, at: new Date().toISOString(), message: 'accepted' },
      Date.now(),
    );
    // The same client (the store's paginators need a DynamoDBDocumentClient), except that byStatus answers stale.
    const laggingIndex: DynamoDBDocumentClient = Object.assign(Object.create(doc), {
      send: (command: { input: { IndexName?: string } }) =>
        command instanceof QueryCommand && command.input.IndexName === 'byStatus'
          ? Promise.resolve(pendingEntries)
          : doc.send(command as never),
    });
    const page = await createTransactionStore(laggingIndex, tableName).list({ ...range, status: 'pending', limit: 10 });
    expect(page.items.map((t) => [t.id, t.status])).toEqual([[stays.id, 'pending']]);
  });

  it('a listing shows each transaction as it is now, with every field', async () => {
    const older = newTransactionAt('2026-02-01T00:00:00.000Z');
    const newer = newTransactionAt('2026-02-01T00:00:01.000Z');
    for (const tx of [older, newer]) await store.create(tx, Date.now() + 60_000);
    const applied = await store.applyOutcome(
      {
        id: older.id,
        status: 'success',
        attempt: 1,
        at: new Date().toISOString(),
        message: 'accepted',
        txHash: '0xab',
      },
      Date.now(),
    );
    expect(applied).toBe('applied');

    const page = await store.list({ from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z', limit: 1 });
    expect(page.items.map((t) => t.id)).toEqual([newer.id]);
    expect(page.items[0]).toMatchObject({ status: 'pending', to: newer.to, value: '1', chainId: 31337 });
    const next = await store.list({
      from: '2026-02-01T00:00:00.000Z',
      to: '2026-02-02T00:00:00.000Z',
      limit: 1,
      ...(page.next ? { after: page.next } : {}),
    });
    expect(page.next).toEqual({ id: newer.id, sortKey: `${newer.createdAt}#${newer.id}` });
    expect(next.items.map((t) => [t.id, t.status, t.txHash])).toEqual([[older.id, 'success', '0xab']]);
    expect(next.next).toBeUndefined();
  });
});

import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import { tableDefinition } from '../../functions/lib/store/tableDesign.ts';
import { ensureTable } from '../../infra/local/createResources.ts';
import { type Emulator, startDynalite } from '../../infra/local/emulators.ts';
import { repairIndexes, repairStatusCounts } from '../../infra/local/repairIndexes.ts';

/**
 * A `.data/` table made before an index was added to the design keeps lacking it (dynalite cannot add
 * one): the local runner must still start on it, after a clean stop or a kill, and say what is missing.
 */

let dynalite: Emulator;
let dynamo: DynamoDBClient;
const tableName = 'made-before-byClient';

beforeAll(async () => {
  dynalite = await startDynalite();
  dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynalite.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const today = tableDefinition(tableName);
  await dynamo.send(
    new CreateTableCommand({
      ...today,
      GlobalSecondaryIndexes: (today.GlobalSecondaryIndexes ?? []).filter((i) => i.IndexName !== 'byClient'),
    }),
  );
});

afterAll(async () => {
  await dynalite?.stop();
});

describe('a table made before an index existed', () => {
  it('is reported with the index it lacks, and the repair after a kill skips that index', async () => {
    // prepare: a transaction of a client, in the old table
    const doc = DynamoDBDocumentClient.from(dynamo);
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'tx#a', kind: 'tx', sortKey: '2026-01-01T00:00:00.000Z#a', status: 'retrying', client: 'team-a' },
      }),
    );
    // act
    const table = await ensureTable(dynamo, tableName);
    const repaired = await repairIndexes(doc, tableName, table.indexes);
    // assess
    expect(table.missing).toEqual(['byClient']);
    expect(table.indexes.has('byKind')).toBe(true);
    expect(repaired).toBe(0);
    // Without the index list, the repair would scan the index the table lacks, and fail the start-up.
    await expect(repairIndexes(doc, tableName)).rejects.toThrowError(/index/);
    // Its transaction, written before the day counters, is counted into them at start-up (they need only
    // byStatus and byKind), and the admin's counts read them.
    expect(await repairStatusCounts(doc, tableName, { uncleanStop: false, present: table.indexes })).toBe(1);
    const counts = await createTransactionStore(doc, tableName).countByStatus({});
    expect(counts).toMatchObject({ retrying: 1, pending: 0, failed: 0 });
  });
});

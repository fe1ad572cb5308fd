import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTransactionStore, type TransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import type { NewTransaction } from '../../functions/lib/store/transactionKeys.ts';
import { ensureTable } from '../../infra/local/createResources.ts';
import { startDynalite } from '../../infra/local/emulators.ts';

/** A table of its own for a store test: dynalite in memory, the table as the runner makes it, and the store on it. */
export type TestTable = {
  /** dynalite's endpoint, for a process of its own (AWS_ENDPOINT_URL_DYNAMODB). */
  url: string;
  doc: DynamoDBDocumentClient;
  tableName: string;
  store: TransactionStore;
  stop(): Promise<void>;
};

/** Starts dynalite in memory and creates a fresh table named `<prefix>-<random>` from the table design. */
export async function startTestTable(prefix: string): Promise<TestTable> {
  const dynalite = await startDynalite();
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynalite.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamo, tableName);
  return {
    url: dynalite.url,
    doc,
    tableName,
    store: createTransactionStore(doc, tableName),
    stop: () => dynalite.stop(),
  };
}

/** A plain transfer as the api accepts it, with the fields a store test varies. */
export function newTransaction(fields: Partial<NewTransaction> = {}): NewTransaction {
  return {
    id: randomUUID(),
    chainId: 31337,
    to: '0x000000000000000000000000000000000000dEaD',
    value: '1',
    data: '0x',
    message: 'accepted',
    createdAt: new Date().toISOString(),
    ...fields,
  };
}

import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createPublicClient, createTestClient, http } from 'viem';
import { deadLetterUrlOf, ensureQueues, ensureTable, type QueueUrls } from '../../infra/local/createResources.ts';
import { type Anvil, type Emulator, startAnvil, startDynalite, startSqs } from '../../infra/local/emulators.ts';

export type TestStack = {
  env: Record<string, string>;
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  queues: QueueUrls;
  tableName: string;
  anvil: Anvil;
  chain: ReturnType<typeof createPublicClient>;
  testClient: ReturnType<typeof createTestClient>;
  stop(): Promise<void>;
};

/** How the stack's chain runs: `blockTime` seconds per block (anvil's `--block-time`), else automine. */
export type TestStackOptions = { blockTime?: number };

/**
 * Real emulators on free ports for one test file: dynalite in memory, fauxqs, and anvil; a fresh
 * table and queues; and the environment a handler module reads at import.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const chainId = 31337;
  const [dynamoE, sqsE, anvil] = await Promise.all([
    startDynalite(),
    startSqs(),
    startAnvil({ chainId, ...(options.blockTime ? { blockTime: options.blockTime } : {}) }),
  ]);
  const owned: Emulator[] = [dynamoE, sqsE, anvil];
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const dynamo = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoE.url, credentials });
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: sqsE.url, credentials });
  const tableName = `tx-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamo, tableName);
  const queues = await ensureQueues(sqs, { prefix: `${tableName}-`, visibilityTimeoutSeconds: 5 });
  const env = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoE.url,
    AWS_ENDPOINT_URL_SQS: sqsE.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: tableName,
    REQUESTS_QUEUE_URL: queues.requests,
    RETRY_QUEUE_URL: queues.retry,
    RESPONSES_QUEUE_URL: queues.responses,
    TRACKING_QUEUE_URL: queues.tracking,
    NOTIFICATIONS_QUEUE_URL: queues.notifications,
    NOTIFICATIONS_DLQ_URL: deadLetterUrlOf(queues.notifications),
    RPC_URL: anvil.url,
    CHAIN_ID: String(chainId),
    LOG_LEVEL: 'SILENT',
    // The handlers may sign with the in-memory dev key only where this says so: the local runner and tests.
    LOCAL_SIGNER_ALLOWED: 'true',
  };
  return {
    env,
    dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sqs,
    queues,
    tableName,
    anvil,
    // Nothing cached: viem keeps a block number for 4 s, and tests mine and read within that.
    chain: createPublicClient({ transport: http(anvil.url), cacheTime: 0 }),
    testClient: createTestClient({ mode: 'anvil', transport: http(anvil.url) }),
    async stop() {
      for (const e of owned) await e.stop();
    },
  };
}

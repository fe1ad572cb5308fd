import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ChainRegistry, createChainRegistry } from '../chain/ChainRegistry.ts';
import { localRpcUrls, type RpcUrls } from '../chain/resolveRpcUrls.ts';
import { type SignerSet, signerSet } from '../chain/Signer.ts';
import { selectSigners } from '../chain/selectSigner.ts';
import { awsClientConfig } from '../config/awsClientConfig.ts';
import { type Config, required } from '../config/loadConfig.ts';
import { createQueueSender, type QueueSender } from '../queue/createQueueSender.ts';
import { type BalanceWatch, createBalanceWatch } from '../store/BalanceWatch.ts';
import { createEventStore, type EventStore } from '../store/EventStore.ts';
import { createIdempotencyStore, type IdempotencyStore } from '../store/IdempotencyStore.ts';
import { createNonceStore, type NonceStore } from '../store/NonceStore.ts';
import { createNonceWatch, type NonceWatch } from '../store/NonceWatch.ts';
import { createSweepLease, type SweepLease } from '../store/SweepLease.ts';
import { createTransactionStore, type TransactionStore } from '../store/TransactionStore.ts';
import { createWaitingLine, type WaitingLine } from '../store/WaitingLine.ts';
import type {
  BroadcastMessage,
  FillMessage,
  NotificationMessage,
  ResponseMessage,
  TrackMessage,
} from '../transactions/messages.ts';
import type { UrlPolicy } from '../webhooks/checkCallbackUrl.ts';
import { createWebhookSecrets, type WebhookSecrets } from '../webhooks/webhookSecrets.ts';
import { serviceHooks } from './serviceHooks.ts';

/** The clients and stores of one process, built once from the configuration. */
export type Services = {
  config: Config;
  logger: Logger;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  transactions: TransactionStore;
  idempotency: IdempotencyStore;
  nonces: NonceStore;
  waiting: WaitingLine;
  /** The webhook deliveries' records. */
  events: EventStore;
  /** The sweep's marks of the signers below LOW_BALANCE_WEI. */
  balanceWatch: BalanceWatch;
  /** The sweep's marks of each signer's mined nonce, to tell one whose nonces stopped being mined. */
  nonceWatch: NonceWatch;
  /** One sweep at a time. */
  sweepLease: SweepLease;
  chains: ChainRegistry;
  queues: {
    requests: QueueSender<BroadcastMessage | FillMessage>;
    retry: QueueSender<BroadcastMessage>;
    responses: QueueSender<ResponseMessage>;
    tracking: QueueSender<TrackMessage>;
    notifications: QueueSender<NotificationMessage>;
  };
  queueUrls: { requests: string; retry: string; responses: string; tracking: string; notifications: string };
  /** The secrets webhooks are signed with (none configured: no webhook is asked for or sent). */
  webhookSecrets: WebhookSecrets;
  /** Where webhooks may go (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOW_HTTP). */
  webhookPolicy: UrlPolicy;
  /** The signer pool, resolved once on first use (a KMS key's address needs one call to KMS). */
  signers: () => Promise<SignerSet>;
  /**
   * What the service still lacks to take transactions (a chains secret not filled yet): empty once it is
   * configured. While not empty the api refuses new transactions (503) and health says what is missing.
   */
  unconfigured: readonly string[];
};

/**
 * Builds the clients once; a missing value fails here, at cold start, naming the variable.
 * `rpcUrls` (chain id -> URL) defaults to `RPC_URL` for `CHAIN_ID`; see `loadServices` for AWS.
 */
export function createServices(
  config: Config,
  serviceName: string,
  rpcUrls: RpcUrls = localRpcUrls(config),
  readSecret: (secretId: string) => Promise<string | undefined> = async () => undefined,
  unconfigured: readonly string[] = [],
  options: { deferCounts?: boolean } = {},
): Services {
  // A benchmark's observers, if any (none in production): see serviceHooks.ts.
  const { awsClient, rpcRequest, signer: onSigner } = serviceHooks;
  const selected = selectSigners(config);
  const signers = onSigner
    ? async () => signerSet((await selected()).all.map((s) => onSigner(s, serviceName)))
    : selected;
  const dynamo = new DynamoDBClient(awsClientConfig(config, 'DYNAMODB'));
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient(awsClientConfig(config, 'SQS'));
  awsClient?.(dynamo, serviceName);
  awsClient?.(sqs, serviceName);
  const queueUrls = {
    requests: required(config, 'REQUESTS_QUEUE_URL'),
    retry: required(config, 'RETRY_QUEUE_URL'),
    responses: required(config, 'RESPONSES_QUEUE_URL'),
    tracking: required(config, 'TRACKING_QUEUE_URL'),
    notifications: required(config, 'NOTIFICATIONS_QUEUE_URL'),
  };
  const logger = new Logger({ serviceName, logLevel: config.LOG_LEVEL });
  return {
    config,
    logger,
    dynamo,
    sqs,
    transactions: createTransactionStore(doc, config.TABLE_NAME, {
      // The transactions' writes stand; only the admin's count of their day is off until recountDay.
      onCountLost: ({ ids, day, change, error }) =>
        logger.warn('a status count was not written', { transactionIds: ids, day, change, error }),
      deferred: options.deferCounts ?? false,
    }),
    idempotency: createIdempotencyStore(doc, config.TABLE_NAME),
    nonces: createNonceStore(doc, config.TABLE_NAME),
    waiting: createWaitingLine(doc, config.TABLE_NAME),
    events: createEventStore(doc, config.TABLE_NAME),
    balanceWatch: createBalanceWatch(doc, config.TABLE_NAME),
    nonceWatch: createNonceWatch(doc, config.TABLE_NAME),
    sweepLease: createSweepLease(doc, config.TABLE_NAME),
    chains: createChainRegistry(
      rpcUrls,
      { timeoutMs: config.RPC_TIMEOUT_MS, retries: config.RPC_RETRIES, budgetMs: config.RPC_BUDGET_MS },
      rpcRequest && ((chainId, method) => rpcRequest(chainId, method, serviceName)),
    ),
    queues: {
      requests: createQueueSender(sqs, queueUrls.requests),
      retry: createQueueSender(sqs, queueUrls.retry),
      responses: createQueueSender(sqs, queueUrls.responses),
      tracking: createQueueSender(sqs, queueUrls.tracking),
      notifications: createQueueSender(sqs, queueUrls.notifications),
    },
    queueUrls,
    webhookSecrets: createWebhookSecrets(config, readSecret),
    webhookPolicy: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, allowHttp: config.WEBHOOK_ALLOW_HTTP },
    signers,
    unconfigured,
  };
}

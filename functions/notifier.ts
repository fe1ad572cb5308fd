import type { SQSRecord } from 'aws-lambda';
import { required } from './lib/config/loadConfig.ts';
import { createServiceMetrics } from './lib/metrics/createServiceMetrics.ts';
import { notify } from './lib/notifier/notify.ts';
import { createQueueSender } from './lib/queue/createQueueSender.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { type RecordScope, sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { notificationMessageSchema } from './lib/transactions/messages.ts';
import { webhookTimeoutMs } from './lib/webhooks/deliveryPolicy.ts';

// The notifier reads transactions, keeps its deliveries' records, and sends to the notifications queue and its
// dead-letter queue; it talks to no chain.
const services = await loadServices('notifier', { chains: false });
const { config, logger } = services;
const metrics = createServiceMetrics('notifier', { logger });
const deps = {
  events: services.events,
  transactions: services.transactions,
  notifications: services.queues.notifications,
  deadLetters: createQueueSender(services.sqs, required(config, 'NOTIFICATIONS_DLQ_URL')),
  secrets: services.webhookSecrets,
  policy: services.webhookPolicy,
  operatorUrl: config.OPERATOR_WEBHOOK_URL,
  settings: {
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    baseSeconds: config.WEBHOOK_RETRY_BASE_SECONDS,
    timeoutMs: webhookTimeoutMs,
  },
  metrics,
  logger,
  now: () => new Date(),
};

const recordHandler = async (record: SQSRecord, scope: RecordScope) => {
  const message = parseRecord(record, notificationMessageSchema);
  const { event } = message;
  // An operator's event is about a signer, not a transaction: its lines name the event alone.
  const log = event.kind === 'transaction' ? scope.logger({ transactionId: event.transactionId }) : logger;
  await notify({ ...deps, logger: log }, message);
};

/** Consumes the notifications queue: delivers each webhook event, signed, and retries it with backoff. */
export const handler = sqsBatchHandler(recordHandler, { service: 'notifier', logger, metrics });

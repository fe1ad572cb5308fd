import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { required } from './lib/config/loadConfig.ts';
import { notify } from './lib/notifier/notify.ts';
import { webhookGaveUpMetric } from './lib/notifier/webhookMetric.ts';
import { createQueueSender } from './lib/queue/createQueueSender.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { notificationMessageSchema } from './lib/transactions/messages.ts';
import { webhookTimeoutMs } from './lib/webhooks/deliveryPolicy.ts';

// The notifier reads transactions, keeps its deliveries' records, and sends to the notifications queue and its
// dead-letter queue; it talks to no chain.
const services = await loadServices('notifier', { chains: false });
const { config } = services;
const metrics = new Metrics({ namespace: webhookGaveUpMetric.namespace, serviceName: webhookGaveUpMetric.service });
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
  gaveUp() {
    // One metric, flushed at once (EMF in the log): the stack's alarm on it sees an event no attempt delivered.
    const metric = metrics.singleMetric();
    metric.addMetric(webhookGaveUpMetric.name, MetricUnit.Count, 1);
  },
  logger: services.logger,
  now: () => new Date(),
};

const recordHandler = async (record: SQSRecord) => {
  await notify(deps, parseRecord(record, notificationMessageSchema));
};

/** Consumes the notifications queue: delivers each webhook event, signed, and retries it with backoff. */
export const handler = sqsBatchHandler(recordHandler);

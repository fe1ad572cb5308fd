import type { SQSRecord } from 'aws-lambda';
import { createServiceMetrics } from './lib/metrics/createServiceMetrics.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { responseMessageSchema } from './lib/transactions/messages.ts';
import { recordOutcome } from './lib/updater/recordOutcome.ts';

// The status counts of a batch's changes are written together after it (one write per day, not one each).
const services = await loadServices('updater', { chains: false, deferCounts: true });
const { logger } = services;
const metrics = createServiceMetrics('updater', { logger });
const deps = {
  transactions: services.transactions,
  tracking: services.queues.tracking,
  // Without a webhook secret no transaction can have a callback URL (the api refuses one): no events to send.
  notifications: services.webhookSecrets.configured ? services.queues.notifications : undefined,
  staleAfterMs: services.config.STALE_AFTER_SECONDS * 1000,
  trackAfterSeconds: (chainId: number | undefined) =>
    services.config.TRACK_INTERVAL_SECONDS(chainId ?? services.config.CHAIN_ID),
  metrics,
};

const recordHandler = async (record: SQSRecord) => {
  const response = parseRecord(record, responseMessageSchema);
  const result = await recordOutcome(deps, response, new Date());
  // recordOutcome logs nothing: this is the record's one line.
  logger.info('response recorded', { transactionId: response.id, status: response.status, result });
};

/** Consumes the responses queue, moves each transaction's status forward, and starts tracking what the node took. */
export const handler = sqsBatchHandler(recordHandler, {
  service: 'updater',
  logger,
  metrics,
  afterBatch: () => services.transactions.flushCounts(),
});

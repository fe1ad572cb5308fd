import type { SQSRecord } from 'aws-lambda';
import { createFeeCache } from './lib/chain/createFeeCache.ts';
import { gweiToWei } from './lib/chain/replacementFees.ts';
import { NotConfiguredError } from './lib/errors/errors.ts';
import { createServiceMetrics } from './lib/metrics/createServiceMetrics.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { type RecordScope, sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { wakeWaiting } from './lib/signers/wakeWaiting.ts';
import type { LineMarker } from './lib/store/WaitingLine.ts';
import { stuckMetric } from './lib/tracker/stuckMetric.ts';
import { trackTransaction } from './lib/tracker/trackTransaction.ts';
import { trackMessageSchema } from './lib/transactions/messages.ts';

// The tracker reads the table and the chains and reports to the responses queue; it never signs, and its
// writes are a wake's: taking a waiting transaction out of the line, and marking the line drained.
const services = await loadServices('tracker');
const { logger } = services;
const metrics = createServiceMetrics('tracker', { logger });
const wakeDeps = { waiting: services.waiting, requests: services.queues.requests, logger };
const deps = {
  transactions: services.transactions,
  chains: services.chains,
  responses: services.queues.responses,
  tracking: services.queues.tracking,
  requests: services.queues.requests,
  fees: createFeeCache(services.config.FEE_CACHE_MS),
  settings: {
    confirmations: services.config.CONFIRMATIONS,
    intervalSeconds: services.config.TRACK_INTERVAL_SECONDS,
    stuckAfterBlocks: services.config.STUCK_AFTER_BLOCKS,
    feeCapWei: (chainId: number) => gweiToWei(services.config.FEE_CAP_GWEI(chainId)),
  },
  metrics: stuckMetric(metrics),
  logger,
  now: () => new Date(),
  wake: (chainId: number, from: string | undefined, line: LineMarker | 'unread' | undefined) =>
    wakeWaiting(wakeDeps, chainId, from, line),
};

const recordHandler = async (record: SQSRecord, scope: RecordScope) => {
  // As the broadcaster: a look sent before the chains secret lost its URLs waits on the queue.
  if (services.unconfigured.length > 0) throw new NotConfiguredError();
  const message = parseRecord(record, trackMessageSchema);
  await trackTransaction({ ...deps, logger: scope.logger({ transactionId: message.id }) }, message);
};

/** Consumes the tracking queue: follows each transaction the node took to its block and the chain's depth. */
export const handler = sqsBatchHandler(recordHandler, { service: 'tracker', logger, metrics });

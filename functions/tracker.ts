import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { createFeeCache } from './lib/chain/createFeeCache.ts';
import { gweiToWei } from './lib/chain/replacementFees.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { wakeWaiting } from './lib/signers/wakeWaiting.ts';
import { stuckMetric } from './lib/tracker/stuckMetric.ts';
import { trackTransaction } from './lib/tracker/trackTransaction.ts';
import { trackMessageSchema } from './lib/transactions/messages.ts';

// The tracker reads the table and the chains and reports to the responses queue; it never signs, and its one
// write is a wake's taking of a waiting transaction out of the line.
const services = await loadServices('tracker');
const wakeDeps = { waiting: services.waiting, requests: services.queues.requests, logger: services.logger };
const metrics = new Metrics({ namespace: stuckMetric.namespace, serviceName: stuckMetric.service });
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
  metrics: {
    stuck(chainId: number) {
      // One metric, flushed at once (EMF in the log): the stack's alarm on it sees a sender waiting at its cap.
      const metric = metrics.singleMetric();
      metric.addMetadata('chainId', String(chainId));
      metric.addMetric(stuckMetric.name, MetricUnit.Count, 1);
    },
  },
  logger: services.logger,
  now: () => new Date(),
  wake: (chainId: number, from: string | undefined) => wakeWaiting(wakeDeps, chainId, from),
};

const recordHandler = async (record: SQSRecord) => {
  await trackTransaction(deps, parseRecord(record, trackMessageSchema));
};

/** Consumes the tracking queue: follows each transaction the node took to its block and the chain's depth. */
export const handler = sqsBatchHandler(recordHandler);

import { randomUUID } from 'node:crypto';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { formatEther } from 'viem';
import { serviceMetrics } from './lib/metrics/serviceMetrics.ts';
import { queueBacklog } from './lib/queue/queueBacklog.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { balanceMetrics } from './lib/sweep/balanceMetrics.ts';
import { findNonceGaps } from './lib/sweep/findNonceGaps.ts';
import { requeueStale } from './lib/sweep/requeueStale.ts';
import { withSweepLease } from './lib/sweep/sweepLease.ts';
import { watchBalances } from './lib/sweep/watchBalances.ts';
import { watchNonceLag } from './lib/sweep/watchNonceLag.ts';
import { trackedStaleAfterMs } from './lib/transactions/dueForSweepAt.ts';

// The sweep reads the table and the chains and writes to the requests and tracking queues; it never signs.
const services = await loadServices('sweep');
const { config, transactions, nonces, chains, logger } = services;
const requests = services.queues.requests;
const metrics = new Metrics({ namespace: balanceMetrics.namespace, serviceName: balanceMetrics.service });
const balanceDeps = {
  signers: services.signers,
  chains,
  watch: services.balanceWatch,
  lowBalanceWei: config.LOW_BALANCE_WEI,
  // The operator is told only where there is an operator's webhook, and a secret to sign it with.
  notifications:
    config.OPERATOR_WEBHOOK_URL && services.webhookSecrets.configured ? services.queues.notifications : undefined,
  metrics: {
    balance(chainId: number, address: string, wei: bigint) {
      // One line per signer and chain (EMF in the log), by chain and address; in ether, as a number.
      const metric = metrics.singleMetric();
      metric.addDimension('chainId', String(chainId));
      metric.addDimension('signer', address);
      metric.addMetric(balanceMetrics.balance, MetricUnit.NoUnit, Number(formatEther(wei)));
    },
    low(count: number) {
      // No dimension but the service's: the stack's one alarm covers every chain and signer.
      metrics.singleMetric().addMetric(balanceMetrics.low, MetricUnit.Count, count);
    },
  },
  logger,
  now: () => new Date(),
};

const nonceLagDeps = {
  signers: services.signers,
  chains,
  nonces,
  watch: services.nonceWatch,
  stallAfterSeconds: config.STALL_AFTER_SECONDS,
  metrics: {
    lag(chainId: number, address: string, lag: number) {
      // One line per signer and chain, by chain and address: the dashboard's search over NonceLag.
      const metric = metrics.singleMetric();
      metric.addDimension('chainId', String(chainId));
      metric.addDimension('signer', address);
      metric.addMetric(serviceMetrics.nonceLag.name, MetricUnit.Count, lag);
    },
    largestLag(lag: number) {
      // The service-only series of the same name: the largest, on the dashboard.
      metrics.singleMetric().addMetric(serviceMetrics.nonceLag.name, MetricUnit.Count, lag);
    },
    stalled(count: number) {
      // No dimension but the service's: the SignerStalled alarm covers every chain and signer.
      metrics.singleMetric().addMetric(serviceMetrics.stalledSigners.name, MetricUnit.Count, count);
    },
  },
  logger,
  now: () => new Date(),
};

/** One run of the sweep, under its lease. */
async function sweepOnce(): Promise<{ requeued: number; filled: number; lowBalance: number }> {
  const now = Date.now();
  const requeued = await requeueStale(
    {
      transactions,
      requests,
      tracking: services.queues.tracking,
      logger,
      // The workers are behind while messages wait there: the sweep adds none to that line.
      backlog: queueBacklog(services.sqs, services.queueUrls.requests),
    },
    {
      now,
      staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
      maxAttempts: config.MAX_ATTEMPTS,
      // As the updater allows a tracked transaction, on the slowest configured chain.
      trackedStaleAfterMs: trackedStaleAfterMs(
        config.STALE_AFTER_SECONDS * 1000,
        Math.max(...chains.chainIds().map(config.TRACK_INTERVAL_SECONDS)),
      ),
    },
  );
  const gaps = await findNonceGaps({
    chains,
    nonces,
    requests,
    logger,
    now: () => new Date(),
    settings: { leaseSeconds: config.SIGNING_LEASE_SECONDS },
  });
  const filled = gaps.reduce((n, g) => n + g.filled.length, 0);
  const low = await watchBalances(balanceDeps);
  await watchNonceLag(nonceLagDeps);
  logger.info('sweep finished', { requeued, filled, lowBalance: low.length });
  return { requeued, filled, lowBalance: low.length };
}

const owner = randomUUID();

/**
 * Scheduled: re-enqueues stale open transactions (tracking again the quiet tracked ones), asks the
 * broadcaster to fill nonce gaps, and watches the signers' balances; one run at a time (the lease), so
 * a run still going when the next is due makes the next do nothing.
 */
export const handler = async (): Promise<{ requeued: number; filled: number; lowBalance: number; skipped?: true }> => {
  const done = await withSweepLease({ lease: services.sweepLease, owner, now: Date.now, logger }, sweepOnce);
  return done ?? { requeued: 0, filled: 0, lowBalance: 0, skipped: true };
};

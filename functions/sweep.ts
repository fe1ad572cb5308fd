import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { createServiceMetrics } from './lib/metrics/createServiceMetrics.ts';
import { queueBacklog } from './lib/queue/queueBacklog.ts';
import { loadServices } from './lib/services/loadServices.ts';
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
const metrics = createServiceMetrics('sweep', { logger });
const balanceDeps = {
  signers: services.signers,
  chains,
  watch: services.balanceWatch,
  lowBalanceWei: config.LOW_BALANCE_WEI,
  // The operator is told only where there is an operator's webhook, and a secret to sign it with.
  notifications:
    config.OPERATOR_WEBHOOK_URL && services.webhookSecrets.configured ? services.queues.notifications : undefined,
  metrics,
  logger,
  now: () => new Date(),
};

const nonceLagDeps = {
  signers: services.signers,
  chains,
  nonces,
  watch: services.nonceWatch,
  stallAfterSeconds: config.STALL_AFTER_SECONDS,
  metrics,
  logger,
  now: () => new Date(),
};

/** One run of the sweep, under its lease; its metrics are written at its end, whatever happened. */
async function sweepOnce(): Promise<{ requeued: number; filled: number; lowBalance: number }> {
  try {
    return await sweepRun();
  } finally {
    metrics.flush();
  }
}

async function sweepRun(): Promise<{ requeued: number; filled: number; lowBalance: number }> {
  const now = Date.now();
  const requeued = await requeueStale(
    {
      transactions,
      requests,
      tracking: services.queues.tracking,
      logger,
      // The workers are behind while messages wait or are worked there, or their outcomes wait for the
      // updater: the sweep adds none to that line.
      backlog: queueBacklog(services.sqs, services.queueUrls.requests, services.queueUrls.responses),
      metrics,
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
export const handler = async (
  _event?: unknown,
  context?: Context,
): Promise<{ requeued: number; filled: number; lowBalance: number; skipped?: true }> => {
  // The request id and cold start on every line (the local runner passes no context).
  if (context) logger.addContext(context);
  if (services.unconfigured.length > 0) {
    // A warning, not an error: the sweep's Errors alarm would fire every minute until the secret is filled.
    logger.warn('not configured: the sweep does nothing until it is', { missing: services.unconfigured });
    return { requeued: 0, filled: 0, lowBalance: 0, skipped: true };
  }
  const done = await withSweepLease({ lease: services.sweepLease, owner, now: Date.now, logger }, sweepOnce);
  return done ?? { requeued: 0, filled: 0, lowBalance: 0, skipped: true };
};

import { loadServices } from './lib/services/loadServices.ts';
import { findNonceGaps } from './lib/sweep/findNonceGaps.ts';
import { requeueStale } from './lib/sweep/requeueStale.ts';
import { trackedStaleAfterMs } from './lib/transactions/dueForSweepAt.ts';

// The sweep reads the table and the chains and writes to the requests and tracking queues; it never signs.
const services = await loadServices('sweep');
const { config, transactions, nonces, chains, logger } = services;
const requests = services.queues.requests;

/** Scheduled: re-enqueues stale open transactions (tracking again the quiet tracked ones), and asks the broadcaster to fill nonce gaps. */
export const handler = async (): Promise<{ requeued: number; filled: number }> => {
  const now = Date.now();
  const requeued = await requeueStale(
    { transactions, requests, tracking: services.queues.tracking, logger },
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
  logger.info('sweep finished', { requeued, filled });
  return { requeued, filled };
};

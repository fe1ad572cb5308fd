import { broadcastDeps } from './lib/runtime/broadcastDeps.ts';
import { loadRuntime } from './lib/runtime/loadRuntime.ts';
import { fillNonceGaps } from './lib/sweep/fillNonceGaps.ts';
import { requeueStale } from './lib/sweep/requeueStale.ts';

const runtime = await loadRuntime('sweep');
const deps = await broadcastDeps(runtime);

/** Scheduled: re-enqueues stale open transactions and fills nonce gaps. */
export const handler = async (): Promise<{ requeued: number; filled: number }> => {
  const now = Date.now();
  const requeued = await requeueStale(
    { transactions: runtime.transactions, requests: runtime.queues.requests, logger: runtime.logger },
    { now, staleAfterMs: runtime.config.STALE_AFTER_SECONDS * 1000 },
  );
  const gaps = await fillNonceGaps({ ...deps, logger: runtime.logger });
  const filled = gaps.reduce((n, g) => n + g.filled.length, 0);
  runtime.logger.info('sweep finished', { requeued, filled });
  return { requeued, filled };
};

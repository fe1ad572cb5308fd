import type { BroadcastDeps } from '../broadcast/BroadcastDeps.ts';
import { coalesceNonceAllocations } from '../broadcast/coalesceNonceAllocations.ts';
import { createFeeCache } from '../chain/createFeeCache.ts';
import type { Runtime } from './createRuntime.ts';

/** The broadcaster's dependencies from the runtime's clients; waits for the signer's address. */
export async function broadcastDeps(runtime: Runtime): Promise<BroadcastDeps> {
  const { config } = runtime;
  return {
    transactions: runtime.transactions,
    // The records of a batch sign side by side: their nonces come from one counter update.
    nonces: coalesceNonceAllocations(runtime.nonces),
    chains: runtime.chains,
    fees: createFeeCache(config.FEE_CACHE_MS),
    signer: await runtime.signer(),
    retryQueue: runtime.queues.retry,
    responses: runtime.queues.responses,
    settings: {
      maxAttempts: config.MAX_ATTEMPTS,
      retryBaseSeconds: config.RETRY_BASE_SECONDS,
      retryCapSeconds: config.RETRY_CAP_SECONDS,
      leaseSeconds: config.SIGNING_LEASE_SECONDS,
    },
    logger: runtime.logger,
    now: () => new Date(),
    random: Math.random,
  };
}

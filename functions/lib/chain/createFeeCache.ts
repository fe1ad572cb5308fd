import type { ChainClient } from './ChainRegistry.ts';

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

export type FeeCache = { get(chainId: number, client: ChainClient): Promise<Fees> };

/** EIP-1559 fees per chain, fetched at most once per `ttlMs` (about a block) and shared by concurrent callers. */
export function createFeeCache(ttlMs: number, now: () => number = Date.now): FeeCache {
  const entries = new Map<number, { at: number; fees: Promise<Fees> }>();
  return {
    get(chainId, client) {
      const entry = entries.get(chainId);
      if (entry && now() - entry.at < ttlMs) return entry.fees;
      const fees = client.estimateFeesPerGas({ chain: null, type: 'eip1559' }).then((f) => ({
        maxFeePerGas: f.maxFeePerGas,
        maxPriorityFeePerGas: f.maxPriorityFeePerGas,
      }));
      entries.set(chainId, { at: now(), fees });
      // A failed fetch must not be served from the cache to the next caller.
      fees.catch(() => {
        if (entries.get(chainId)?.fees === fees) entries.delete(chainId);
      });
      return fees;
    },
  };
}

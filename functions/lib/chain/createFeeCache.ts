import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainClient } from './ChainRegistry.ts';

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

export type FeeCache = { get(chainId: number, client: ChainClient): Promise<Fees> };

/** How a fee fetch may fail without failing its callers. */
export type FeeFallback = {
  /** A fetch that has not answered after this long is given up on (it may still land, and is kept). */
  timeoutMs: number;
  /** The last fees fetched serve instead while they are at most this old; older, the failure is the callers'. */
  lastKnownForMs: number;
};

/**
 * A slow provider holds one fetch for every worker of the second it is shared by: two seconds, then the
 * fees of at most two minutes ago (a few blocks: the base fee moves at most 12.5% a block, and the
 * re-pricing rules outbid what is left behind), so one delayed answer fails no attempt.
 */
export const defaultFeeFallback: FeeFallback = { timeoutMs: 2000, lastKnownForMs: 120_000 };

class FeeTimeoutError extends Error {
  override name = 'FeeTimeoutError';
}

/**
 * EIP-1559 fees per chain, fetched at most once per `ttlMs` (about a block) and shared by concurrent
 * callers. A fetch that fails, or does not answer within `fallback.timeoutMs`, is answered with the last
 * fees fetched while those are recent (`fallback.lastKnownForMs`); with none recent enough it fails, and
 * a failed fetch is never served to the next caller.
 */
export function createFeeCache(
  ttlMs: number,
  now: () => number = Date.now,
  fallback: FeeFallback = defaultFeeFallback,
): FeeCache {
  const entries = new Map<number, { at: number; fees: Promise<Fees> }>();
  const lastKnown = new Map<number, { at: number; fees: Fees }>();
  return {
    get(chainId, client) {
      const entry = entries.get(chainId);
      if (entry && now() - entry.at < ttlMs) return entry.fees;
      const fetched = client.estimateFeesPerGas({ chain: null, type: 'eip1559' }).then((f) => {
        const fees = { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
        // Kept even when it lands after its callers were given the last known fees.
        lastKnown.set(chainId, { at: now(), fees });
        return fees;
      });
      const timer = new AbortController();
      const timeout = sleep(fallback.timeoutMs, undefined, { signal: timer.signal }).then(() => {
        throw new FeeTimeoutError(`fee data timed out after ${fallback.timeoutMs} ms`);
      });
      let fellBack = false;
      const fees = Promise.race([fetched, timeout])
        .catch((error: unknown) => {
          const last = lastKnown.get(chainId);
          if (!last || now() - last.at > fallback.lastKnownForMs) throw error;
          fellBack = true;
          return last.fees;
        })
        .finally(() => timer.abort());
      // The losing side of the race must not be an unhandled rejection.
      fetched.catch(() => {});
      timeout.catch(() => {});
      entries.set(chainId, { at: now(), fees });
      // Neither a failed fetch nor the fees fallen back on are served to the next caller: it fetches again.
      const forget = () => {
        if (entries.get(chainId)?.fees === fees) entries.delete(chainId);
      };
      fees.then(() => fellBack && forget(), forget);
      return fees;
    },
  };
}

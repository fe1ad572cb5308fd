import type { Logger } from '@aws-lambda-powertools/logger';
import type { SweepLease } from '../store/SweepLease.ts';

/**
 * How long one sweep may hold the lease: above the sweep's timeout on AWS (50 s, so a run that ends holds
 * it no longer than it runs) and under its one-minute schedule (so a run that died frees it for the next).
 */
export const sweepLeaseSeconds = 55;

/**
 * Runs `run` if this caller takes the sweep's lease, and gives it back after; undefined when another
 * sweep holds it (two at once would race to fill the same nonce gap). On AWS this replaces a reserved
 * concurrency of 1, which a new account's quota may not allow.
 */
export async function withSweepLease<T>(
  deps: { lease: SweepLease; owner: string; now: () => number; logger: Pick<Logger, 'info'> },
  run: () => Promise<T>,
): Promise<T | undefined> {
  if (!(await deps.lease.acquire(deps.owner, deps.now(), sweepLeaseSeconds))) {
    deps.logger.info('another sweep holds the lease; this run does nothing');
    return undefined;
  }
  try {
    return await run();
  } finally {
    await deps.lease.release(deps.owner);
  }
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import type { SignerSet } from '../chain/Signer.ts';
import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { NonceStore } from '../store/NonceStore.ts';
import { type NonceWatch, nonceWatchKeyOf } from '../store/NonceWatch.ts';

export type WatchNonceLagDeps = {
  signers: () => Promise<SignerSet>;
  chains: ChainRegistry;
  nonces: Pick<NonceStore, 'readCounters'>;
  watch: NonceWatch;
  /** How long a mined nonce may stand still, with nonces taken above it, before its signer is stalled. */
  stallAfterSeconds: number;
  /**
   * NonceLag, each signer's on each chain that answered (the emitter also writes it without dimensions:
   * its Maximum is the largest), and SignersStalled, every run.
   */
  metrics: Pick<ServiceMetricsSink<'sweep'>, 'count'>;
  logger: Pick<Logger, 'warn'>;
  now: () => Date;
};

/** One signer's nonce lag on one chain, as this run read it. */
export type NonceLag = {
  chainId: number;
  address: string;
  /** The counter's next nonce minus the chain's mined nonce (0 for a counter not seeded yet, or behind the chain). */
  lag: number;
  /** The chain's count of the signer's mined transactions, at `latest`. */
  mined: number;
  /** Since when `mined` has not moved while nonces above it were taken; none when the lag is 0. */
  since?: string;
  stalled: boolean;
};

/**
 * Reads every signer's nonce lag on every configured chain (the table's counter minus the chain's mined
 * nonce) and publishes it. A signer whose lag is above 0 and whose mined nonce has not moved for
 * `stallAfterSeconds` is stalled: its chain accepts and does not mine (or its head is stuck). The table
 * keeps, per chain and signer, the mined nonce last seen and since when; a lag of 0 clears it, so a signer
 * idle for hours is timed from its next transaction. A chain that does not answer is skipped this run.
 */
export async function watchNonceLag(deps: WatchNonceLagDeps): Promise<NonceLag[]> {
  const pool = await deps.signers();
  const addresses = pool.all.map((s) => s.address);
  const readings = (
    await Promise.all(
      deps.chains.chainIds().map(async (chainId) => {
        const client = deps.chains.client(chainId);
        // Our own table failing is not the chain's: that one throws.
        const [counters, mined] = await Promise.all([
          deps.nonces.readCounters(chainId, addresses),
          Promise.all(addresses.map((address) => client.getTransactionCount({ address, blockTag: 'latest' }))).catch(
            (error: unknown) => {
              // The error's name only: a viem message may carry the RPC URL, and a provider's URL its API key.
              deps.logger.warn('nonce lag watch: a chain did not answer', { chainId, error: (error as Error).name });
              return undefined;
            },
          ),
        ]);
        if (!mined) return [];
        return addresses.map((address, i) => {
          const next = counters.find((c) => c.from.toLowerCase() === address.toLowerCase())?.next;
          const minedNonce = mined[i] ?? 0;
          // Unseeded: nothing taken yet. Behind the chain: someone else used the key; the next allocation raises it.
          return { chainId, address, mined: minedNonce, lag: next === undefined ? 0 : Math.max(0, next - minedNonce) };
        });
      }),
    )
  ).flat();
  const marks = await deps.watch.seen(readings);
  const now = deps.now();
  const lags: NonceLag[] = [];
  for (const r of readings) {
    deps.metrics.count('nonceLag', r.lag, { chainId: r.chainId, signer: r.address });
    const mark = marks.get(nonceWatchKeyOf(r.chainId, r.address));
    if (r.lag === 0) {
      if (mark) await deps.watch.clear(r.chainId, r.address);
      lags.push({ ...r, stalled: false });
      continue;
    }
    // A mined nonce that moved (or is seen for the first time with a lag) starts the clock again.
    const since = mark?.mined === r.mined ? mark.since : now.toISOString();
    if (mark?.mined !== r.mined) await deps.watch.mark(r.chainId, r.address, { mined: r.mined, since });
    const stalled = now.getTime() - Date.parse(since) >= deps.stallAfterSeconds * 1000;
    lags.push({ ...r, since, stalled });
    if (stalled) {
      deps.logger.warn('a signer’s nonces are taken and not mined: its mined nonce has not moved', {
        chainId: r.chainId,
        signer: r.address,
        lag: r.lag,
        mined: r.mined,
        since,
      });
    }
  }
  // 0 included, so the alarm clears.
  deps.metrics.count('stalledSigners', lags.filter((l) => l.stalled).length);
  return lags;
}

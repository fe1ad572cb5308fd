import type { Logger } from '@aws-lambda-powertools/logger';
import type { Hex } from 'viem';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import { resendRaw } from '../chain/resendRaw.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { NonceHolder, NonceStore } from '../store/NonceStore.ts';
import type { FillMessage } from '../transactions/messages.ts';

export type GapReport = {
  chainId: number;
  from: string;
  mined: number;
  next: number;
  filled: number[];
  resent: number[];
  /** Fillers the broadcaster was asked to re-price. */
  repriced: number[];
};

/** How many nonces past the chain's mined nonce one sweep looks at per sender. */
const window = 500;

/**
 * Keeps every sender moving. For each nonce counter it compares the chain's mined nonce with the
 * nonces our records hold, from the lowest unmined one up: a nonce nothing holds, taken long enough
 * ago that no worker can still store it (before a record stored two signing leases ago), is sent to
 * the broadcaster to be filled (the sweep itself never signs);
 * the stored bytes of fillers not yet mined are sent again (the same bytes, so harmless) in case the
 * node never got or dropped them, and a filler that holds up its sender is re-priced (by the broadcaster);
 * a chain ahead of the counter raises the counter. Transactions the node took are the tracker's.
 */
export async function findNonceGaps(deps: {
  chains: ChainRegistry;
  nonces: NonceStore;
  requests: QueueSender<FillMessage>;
  logger: Logger;
  now: () => Date;
  settings: { leaseSeconds: number };
}): Promise<GapReport[]> {
  const reports: GapReport[] = [];
  const now = deps.now().getTime();
  const settledBefore = now - 2 * deps.settings.leaseSeconds * 1000;
  for (const counter of await deps.nonces.counters()) {
    if (!deps.chains.chainIds().includes(counter.chainId)) continue;
    const client = deps.chains.client(counter.chainId);
    let mined: number;
    try {
      mined = await client.getTransactionCount({ address: counter.from as Hex, blockTag: 'latest' });
    } catch (error) {
      // One unreachable chain must not stop the sweep for the others; the next sweep tries again.
      deps.logger.warn('chain unreachable; nonce gaps not checked', { chainId: counter.chainId, error });
      continue;
    }
    const report: GapReport = {
      chainId: counter.chainId,
      from: counter.from,
      mined,
      next: counter.next,
      filled: [],
      resent: [],
      repriced: [],
    };
    reports.push(report);
    if (mined > counter.next) {
      await deps.nonces.raiseFloor(counter.chainId, counter.from, mined);
      continue;
    }
    if (mined === counter.next) continue;
    const highest = Math.min(counter.next - 1, mined + window - 1);
    const holders = await deps.nonces.holders(counter.chainId, counter.from, mined, highest);
    const byNonce = new Map<number, NonceHolder[]>();
    for (const h of holders) byNonce.set(h.nonce, [...(byNonce.get(h.nonce) ?? []), h]);
    const settledAt = (h: NonceHolder) => Date.parse(h.kind === 'tx' ? h.signedAt : h.createdAt);
    // Every nonce below one stored before `settledBefore` was taken before it, so no worker still holds it.
    const settledUpTo = Math.max(
      counter.allocatedAt < settledBefore ? counter.next - 1 : -1,
      ...holders.filter((h) => settledAt(h) < settledBefore).map((h) => h.nonce - 1),
    );
    for (let nonce = mined; nonce <= highest; nonce++) {
      const held = byNonce.get(nonce) ?? [];
      // Held only by transactions that failed before they were signed, whose filler could not be made.
      const orphaned = held.length > 0 && held.every((h) => h.kind === 'tx' && h.status === 'failed' && !h.rawTx);
      if (held.length === 0 || orphaned) {
        if (nonce > settledUpTo) continue; // a worker may still be about to store it
        if (!orphaned && counter.external && nonce >= counter.external.from && nonce < counter.external.to) {
          continue; // someone else's nonce: never replace their transaction
        }
        const reason = orphaned
          ? `nonce ${nonce} is held only by a transaction that failed before it was signed`
          : `nonce ${nonce} was taken but never used`;
        await deps.requests.send({ fill: { chainId: counter.chainId, from: counter.from, nonce, reason } });
        report.filled.push(nonce);
        deps.logger.warn('asked the broadcaster to fill a nonce gap', { chainId: counter.chainId, nonce, reason });
        continue;
      }
      for (const h of held) {
        // Open transactions are sent by their own attempts, and those the node took by the tracker
        // (which re-prices them); failed ones are replaced by their filler.
        if (h.kind === 'tx' || !h.rawTx) continue;
        await resendRaw(client, h.rawTx as Hex);
        report.resent.push(nonce);
        // A filler that holds up its sender (the lowest nonce unmined) and has waited a sweep since it was
        // signed: the broadcaster re-prices it if the market is above its fees, as the tracker has a transaction re-priced.
        if (nonce === mined && Date.parse(h.repricedAt ?? h.createdAt) < settledBefore) {
          const reason = `filler of nonce ${nonce} unmined since ${h.repricedAt ?? h.createdAt}`;
          await deps.requests.send({
            fill: { chainId: counter.chainId, from: counter.from, nonce, reason, reprice: h.txHash },
          });
          report.repriced.push(nonce);
        }
      }
    }
  }
  return reports;
}

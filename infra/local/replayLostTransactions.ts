import type { NonceHolder, NonceStore } from '../../functions/lib/store/NonceStore.ts';

/**
 * The runner's own chain can come back from a kill short of its table. Its state file is written when the
 * chain moved, and no sooner than four times the last write took (`anvilState.ts`), so after a busy spell
 * the last blocks before a kill may not be in it, and with them transactions the table holds as mined or
 * confirmed. Nothing else would send those again (the tracker is done with them), and every later nonce
 * of their signer would wait behind them for good. So at start-up, for each signer whose nonce counter
 * in the table is ahead of the chain's nonce, the bytes the table holds for each nonce between are sent
 * again, in nonce order: the same signed bytes, so each is the same transaction with the same hash, and
 * mined at most once. Per nonce, what the chain had or may have had: a transaction mined (`mined`,
 * `confirmed`, `reverted`) first, else one the node took (`success`, which the tracker would send again anyway), else a filler.
 * A transaction that ended `failed` is never sent (the client was told it had no effect), nor one not
 * yet broadcast (its own worker sends it). A nonce the table holds no bytes for is left to the sweep's
 * gap filler.
 */
export type Replayed = {
  chainId: number;
  from: string;
  /** The chain's next nonce for `from` as it came back, and the table's. */
  chainNext: number;
  tableNext: number;
  resent: number;
  /** Refused by the node (already in its pool, or mined after all). */
  refused: number;
};

const rank = (holder: NonceHolder): number => {
  if (!holder.rawTx) return 0;
  if (holder.kind === 'filler') return 1;
  if (['mined', 'confirmed', 'reverted'].includes(holder.status)) return 3;
  return holder.status === 'success' ? 2 : 0;
};

export async function replayLostTransactions(
  nonces: Pick<NonceStore, 'readCounters' | 'holders'>,
  rpc: (method: string, params: unknown[]) => Promise<unknown>,
  chainId: number,
  signers: readonly string[],
): Promise<Replayed[]> {
  const replayed: Replayed[] = [];
  for (const counter of await nonces.readCounters(chainId, signers)) {
    const chainNext = Number(await rpc('eth_getTransactionCount', [counter.from, 'latest']));
    if (!(counter.next > chainNext)) continue;
    const best = new Map<number, NonceHolder>();
    for (const holder of await nonces.holders(chainId, counter.from, chainNext, counter.next - 1)) {
      const held = best.get(holder.nonce);
      if (rank(holder) > 0 && (!held || rank(holder) > rank(held))) best.set(holder.nonce, holder);
    }
    let refused = 0;
    const inOrder = [...best.entries()].sort(([a], [b]) => a - b);
    for (const [, holder] of inOrder) await rpc('eth_sendRawTransaction', [holder.rawTx]).catch(() => refused++);
    if (inOrder.length > 0) {
      replayed.push({
        chainId,
        from: counter.from,
        chainNext,
        tableNext: counter.next,
        resent: inOrder.length - refused,
        refused,
      });
    }
  }
  return replayed;
}

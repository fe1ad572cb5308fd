import { type Hex, keccak256 } from 'viem';
import type { NonceHolder, NonceStore } from '../../functions/lib/store/NonceStore.ts';

/**
 * The runner's own chain can come back from a kill short of its table. Its state file is written when the
 * chain moved, and no sooner than four times the last write took (`anvilState.ts`), so after a busy spell
 * the last blocks before a kill may not be in it, and with them transactions the table holds as mined.
 * Nothing else would send those again (the tracker is done with them, and the sweep's gap filler leaves a
 * nonce a transaction holds alone), and every later nonce of their signer would wait behind them for good.
 * So at start-up, for each signer whose nonce counter in the table is ahead of the chain's nonce, what
 * the chain had mined is sent again, in nonce order: for each transaction with a receipt (`mined`,
 * `confirmed`, `reverted`, or `failed` by its mined cancel), the bytes of the very signature its receipt
 * names (the latest, or an earlier one kept on its entry), so the same transaction with the same hash,
 * mined once more; at a nonce without a receipt where every transaction `failed`, its filler's bytes (a
 * re-priced filler's latest: another hash than the chain had, the same zero-value transfer to itself). A nonce where a transaction the node took waits for its receipt (`success`) is the
 * tracker's, which sends again what the node lost, with what is due then (its cancel, say), a filler
 * there included or not: nothing is sent for it here. Read in windows of `window` nonces.
 */
export type Replayed = {
  chainId: number;
  from: string;
  /** The chain's next nonce for `from` as it came back, and the table's. */
  chainNext: number;
  tableNext: number;
  resent: number;
  /** Refused by the node (already in its pool, or mined after all, or any other error). */
  refused: number;
};

/**
 * The bytes to send again for a nonce's holders: those of the signature a transaction's receipt names,
 * when the table knows them; a filler's where no receipt was read and no transaction is still open; else
 * none.
 */
function minedBytes(holders: readonly NonceHolder[]): string | undefined {
  const mined = holders.flatMap((h) => (h.kind === 'tx' && h.minedTxHash ? [h.minedTxHash] : []));
  if (mined.length === 0) {
    // A transaction still open (taken, to be sent, or holding the nonce to sign with) may be the one the
    // chain had, or will be: the filler must not take its place.
    if (holders.some((h) => h.kind === 'tx' && h.status !== 'failed')) return undefined;
    return holders.find((h) => h.kind === 'filler' && h.rawTx)?.rawTx;
  }
  const signed = holders.flatMap((h) => (h.kind === 'tx' ? [h.rawTx, ...(h.earlierRawTx ?? [])] : []));
  return signed.find((raw) => raw && mined.includes(keccak256(raw as Hex)));
}

export async function replayLostTransactions(
  nonces: Pick<NonceStore, 'readCounters' | 'holders'>,
  rpc: (method: string, params: unknown[]) => Promise<unknown>,
  chainId: number,
  signers: readonly string[],
  window = 500,
): Promise<Replayed[]> {
  const replayed: Replayed[] = [];
  for (const counter of await nonces.readCounters(chainId, signers)) {
    const chainNext = Number(await rpc('eth_getTransactionCount', [counter.from, 'latest']));
    let resent = 0;
    let refused = 0;
    for (let low = chainNext; low < counter.next; low += window) {
      const high = Math.min(counter.next - 1, low + window - 1);
      const byNonce = new Map<number, NonceHolder[]>();
      for (const h of await nonces.holders(chainId, counter.from, low, high)) {
        const held = byNonce.get(h.nonce);
        if (held) held.push(h);
        else byNonce.set(h.nonce, [h]);
      }
      for (const [, held] of [...byNonce].sort(([a], [b]) => a - b)) {
        const raw = minedBytes(held);
        if (!raw) continue;
        await rpc('eth_sendRawTransaction', [raw]).then(
          () => resent++,
          () => refused++,
        );
      }
    }
    if (resent + refused > 0) {
      replayed.push({ chainId, from: counter.from, chainNext, tableNext: counter.next, resent, refused });
    }
  }
  return replayed;
}

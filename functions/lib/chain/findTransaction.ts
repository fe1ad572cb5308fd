import type { Hash, PublicClient } from 'viem';

export type Sighting = 'mined' | 'pooled' | 'unseen' | 'unreachable';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks the node whether it knows our hash. Node reads are eventually consistent, so "unseen" is
 * only answered after `reads` empty answers spaced `spacingMs` apart; "unreachable" when the node
 * never answered.
 */
export async function findTransaction(
  client: PublicClient,
  hash: Hash,
  { reads = 2, spacingMs = 300 }: { reads?: number; spacingMs?: number } = {},
): Promise<Sighting> {
  let answered = false;
  for (let read = 0; read < reads; read++) {
    if (read > 0) await sleep(spacingMs);
    try {
      const tx = await client.request({ method: 'eth_getTransactionByHash', params: [hash] });
      answered = true;
      if (tx) return tx.blockHash ? 'mined' : 'pooled';
    } catch {
      // An unanswered read decides nothing; try again.
    }
  }
  return answered ? 'unseen' : 'unreachable';
}

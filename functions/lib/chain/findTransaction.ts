import type { Hash } from 'viem';
import type { ChainClient } from './ChainRegistry.ts';

export type Sighting = 'mined' | 'pooled' | 'unseen' | 'unreachable';

/** True when the node has our transaction: on chain, or in its pool. */
export const landed = (seen: Sighting): boolean => seen === 'mined' || seen === 'pooled';

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks the node whether it knows our hash. Node reads are eventually consistent, so "unseen" needs
 * `reads` empty answers, spaced `spacingMs` apart (a failed read counts for nothing; a couple of
 * extra tries make up for them); without them the answer is "unreachable".
 */
export async function findTransaction(
  client: ChainClient,
  hash: Hash,
  { reads = 2, spacingMs = 300 }: { reads?: number; spacingMs?: number } = {},
): Promise<Sighting> {
  let empty = 0;
  for (let tried = 0; tried < reads + 2 && empty < reads; tried++) {
    if (tried > 0) await sleep(spacingMs);
    try {
      const tx = await client.request({ method: 'eth_getTransactionByHash', params: [hash] });
      if (tx) return tx.blockHash ? 'mined' : 'pooled';
      empty++;
    } catch {
      // An unanswered read decides nothing; try again.
    }
  }
  return empty >= reads ? 'unseen' : 'unreachable';
}

import type { Hash } from 'viem';
import type { ChainClient } from '../chain/ChainRegistry.ts';
import { findTransaction, landed, type Sighting } from '../chain/findTransaction.ts';
import type { Transaction } from '../transactions/model.ts';

/** What the node knows of a transaction's signatures: the first it has (on chain or pooled), or none of them. */
export type SignatureSighting = { seen: Sighting; txHash: Hash };

/**
 * Asks the node about every signature of a transaction, `latest` first: a re-priced or canceled one
 * may have had an earlier signature mined, and that one's nonce answer must not make it `failed`. One
 * signature the node has decides (`mined` or `pooled`, with its hash); `unseen` needs every one unseen;
 * any unanswered read leaves it `unreachable`.
 */
export async function findSignature(client: ChainClient, tx: Transaction, latest: Hash): Promise<SignatureSighting> {
  const hashes = [
    latest,
    ...(tx.hashes ?? [])
      .map((h) => h.txHash as Hash)
      .filter((h) => h !== latest)
      .reverse(),
  ];
  let unreachable = false;
  for (const txHash of hashes) {
    const seen = await findTransaction(client, txHash);
    if (landed(seen)) return { seen, txHash };
    if (seen === 'unreachable') unreachable = true;
  }
  return { seen: unreachable ? 'unreachable' : 'unseen', txHash: latest };
}

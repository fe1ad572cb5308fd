import { hexToBigInt, numberToHex } from 'viem';
import type { ChainClient } from '../chain/ChainRegistry.ts';
import { marketAbove, replacementFees } from '../chain/replacementFees.ts';
import { roomForAnotherSignature } from '../store/itemSize.ts';
import { awaitsCancel, feesOf, type Transaction } from '../transactions/model.ts';
import type { TrackDeps } from './trackTransaction.ts';

/** What a look decided about replacing the latest signature. */
export type ReplaceDecision =
  | { action: 'none'; why: string }
  | { action: 'asked'; phase: 'reprice' | 'cancel' }
  | { action: 'stuck'; reason: string };

/** True once `count` blocks were made after `signedAt`: the `count`-th block from the head is younger. */
async function blocksSince(client: ChainClient, signedAt: string, count: number): Promise<boolean> {
  const head = await client.request({ method: 'eth_blockNumber' });
  const nth = hexToBigInt(head) - BigInt(count) + 1n;
  if (nth < 0n) return false;
  const block = await client.request({ method: 'eth_getBlockByNumber', params: [numberToHex(nth), false] });
  return block !== null && Number(hexToBigInt(block.timestamp)) * 1000 > Date.parse(signedAt);
}

/**
 * For a transaction the node took, not in a block and with its nonce still open: asks the broadcaster
 * (the only signer) for its cancel once one was asked for or `validUntil` passed, or for a re-price once
 * it has waited STUCK_AFTER_BLOCKS blocks since its latest signature while the market's fees are above
 * that signature's, if it is its sender's next nonce (one behind another waits for that one). When the fee cap leaves no room to outbid, nothing is asked for and the decision
 * says it is stuck: the caller sends the latest bytes again (mined once the market falls under them).
 */
export async function askToReplace(
  deps: Pick<TrackDeps, 'requests' | 'fees' | 'settings' | 'now'>,
  client: ChainClient,
  tx: Transaction,
  /** The sender's next nonce on chain (its mined count). */
  chainNext: number,
): Promise<ReplaceDecision> {
  const latest = tx.hashes?.at(-1);
  if (!latest) return { action: 'none', why: 'no signature on the record' };
  const attempt = Math.max(1, tx.attempts);
  const old = feesOf(latest);
  const cap = deps.settings.feeCapWei(tx.chainId);
  // A record too large for another signature waits as it is, flagged, whatever is asked of it.
  const full = (kind: 'reprice' | 'cancel') => !roomForAnotherSignature(tx, kind);
  if (awaitsCancel(tx, deps.now())) {
    if (full('cancel')) {
      return { action: 'stuck', reason: 'its cancel cannot be signed: the record holds no more signatures' };
    }
    // A cancel outbids the latest as a re-price does: at the cap it cannot, and waits flagged like one.
    const replacement = replacementFees(old, await deps.fees.get(tx.chainId, client), cap);
    if (!replacement.replaceable)
      return { action: 'stuck', reason: `its cancel cannot be signed: ${replacement.reason}` };
    await deps.requests.send({ id: tx.id, attempt, phase: 'cancel', replaces: latest.txHash });
    return { action: 'asked', phase: 'cancel' };
  }
  // Behind an unmined nonce of its sender, it waits for that one: outbidding the market would only overpay.
  if (tx.nonce !== undefined && tx.nonce > chainNext) return { action: 'none', why: `nonce ${chainNext} comes first` };
  const count = deps.settings.stuckAfterBlocks(tx.chainId);
  if (!(await blocksSince(client, latest.signedAt, count))) return { action: 'none', why: `not ${count} blocks yet` };
  const market = await deps.fees.get(tx.chainId, client);
  if (!marketAbove(market, old)) return { action: 'none', why: 'the market is not above its fees' };
  const replacement = replacementFees(old, market, cap);
  if (!replacement.replaceable) return { action: 'stuck', reason: replacement.reason };
  if (full('reprice'))
    return { action: 'stuck', reason: 'the record holds no more signatures (its call data is large)' };
  await deps.requests.send({ id: tx.id, attempt, phase: 'reprice', replaces: latest.txHash });
  return { action: 'asked', phase: 'reprice' };
}

import { type Hex, keccak256 } from 'viem';
import { landed } from '../../chain/findTransaction.ts';
import { replacementFees } from '../../chain/replacementFees.ts';
import { resendRaw } from '../../chain/resendRaw.ts';
import { roomForAnotherSignature } from '../../store/itemSize.ts';
import type { ReplacePhase } from '../../transactions/messages.ts';
import { feesOf, isTerminal, type Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps } from '../BroadcastDeps.ts';
import { poolSigner } from '../fillNonce.ts';
import { findSignature } from '../findSignature.ts';
import { type Outcome, succeeded } from '../outcome.ts';

/** What a re-price or a cancel came to: a report for the updater, or nothing to report (and why). */
export type ReplaceResult = { outcome: Outcome; chainId: number } | { skipped: string };

/** The gas of a cancel: a plain transfer to the sender itself. */
const cancelGas = 21_000n;

/**
 * Re-prices (`reprice`) or cancels (`cancel`) a signed transaction that is not yet in a block: signs a
 * replacement for its one nonce, at fees at least 12.5% over its latest signature's and at least the
 * market's, within the chain's fee cap; stores it as the latest signature (a conditional write on the
 * count of signatures, so two askers sign one replacement) before it is sent. A cancel is a zero-value
 * transfer to the sender; a re-price of a cancel stays a cancel. `replaces` names the signature the asker
 * saw as the latest: once another replaced it, the message is old and nothing is signed.
 */
export async function replaceLatest(
  deps: BroadcastDeps,
  id: string,
  phase: ReplacePhase,
  replaces: string | undefined,
): Promise<ReplaceResult> {
  const tx = await deps.transactions.get(id);
  if (!tx) return { skipped: 'unknown id' };
  if (isTerminal(tx.status) || tx.status === 'mined') return { skipped: `it is ${tx.status}` };
  const hashes = tx.hashes ?? [];
  const latest = hashes.at(-1);
  if (!tx.rawTx || tx.nonce === undefined || !tx.from || !latest) return { skipped: 'it was never signed' };
  const client = deps.chains.client(tx.chainId);
  const cancelling = phase === 'cancel' || latest.kind === 'cancel';
  if (replaces !== undefined && latest.txHash !== replaces) {
    // Replaced since the asker looked: a cancel already made is sent again, nothing more is signed.
    if (phase === 'cancel' && latest.kind === 'cancel') await resendRaw(client, tx.rawTx as Hex);
    return { skipped: `${replaces} was replaced already` };
  }
  if (phase === 'cancel' && latest.kind === 'cancel') {
    await resendRaw(client, tx.rawTx as Hex);
    return { skipped: 'its cancel was signed already' };
  }
  // Asked to cancel it, the original's bytes are never sent again, even when no cancel can be signed.
  const keepLatest = async () => {
    if (!(phase === 'cancel' && latest.kind !== 'cancel')) await resendRaw(client, tx.rawTx as Hex);
  };
  if (!roomForAnotherSignature(tx, cancelling ? 'cancel' : 'reprice')) {
    await keepLatest();
    return { skipped: 'the record holds no more signatures' };
  }
  const market = await deps.fees.get(tx.chainId, client);
  const replacement = replacementFees(feesOf(latest), market, deps.settings.feeCapWei(tx.chainId));
  if (!replacement.replaceable) {
    // The cap leaves no room to outbid: the latest stays in the pool, re-sent; the tracker flags it.
    await keepLatest();
    return { skipped: replacement.reason };
  }
  const { fees } = replacement;
  const rawTx = await poolSigner(deps, tx.from).signTransaction({
    chainId: tx.chainId,
    type: 'eip1559',
    nonce: tx.nonce,
    ...(cancelling
      ? { to: tx.from as Hex, value: 0n, data: '0x', gas: cancelGas }
      : { to: tx.to as Hex, value: BigInt(tx.value), data: tx.data as Hex, gas: BigInt(tx.gas ?? cancelGas) }),
    ...fees,
  });
  const txHash = keccak256(rawTx);
  const saved = await deps.transactions.saveReplacement(
    tx.id,
    hashes.length,
    {
      rawTx,
      txHash,
      maxFeePerGas: fees.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
      kind: cancelling ? 'cancel' : 'reprice',
      // A cancel no caller asked for is validUntil's (a caller's is on the record before it is asked for).
      ...(cancelling && !tx.cancel
        ? { cancel: { requestedAt: deps.now().toISOString(), by: 'validUntil', reason: 'expired' as const } }
        : {}),
    },
    deps.now(),
  );
  // Not stored: another replacement, or its block, came first; these bytes are never sent.
  if (!saved) return { skipped: 'replaced or mined meanwhile' };
  deps.metrics?.count('repriced', 1);
  const sent = await resendRaw(client, rawTx);
  deps.logger.info(cancelling ? 'cancel signed' : 're-priced', {
    transactionId: tx.id,
    txHash,
    replaced: latest.txHash,
    maxFeePerGas: fees.maxFeePerGas.toString(),
    capped: replacement.capped,
    sent: sent.outcome,
  });
  if (sent.outcome === 'taken' && !isFollowed(tx)) {
    // Its nonce is taken, and the node had not been heard to take it: by an earlier signature of its own?
    const { seen, txHash: found } = await findSignature(client, tx, latest.txHash as Hex);
    if (landed(seen)) {
      return { chainId: tx.chainId, outcome: succeeded(found, `Broadcast: the node already had ${found}.`) };
    }
  }
  // Taken by the node: a transaction not yet reported as taken (pending, retrying) now is.
  if (sent.outcome === 'sent' && !isFollowed(tx)) {
    return {
      chainId: tx.chainId,
      outcome: succeeded(
        txHash,
        `Broadcast: the node accepted ${cancelling ? 'its cancel' : 'its replacement'} ${txHash}.`,
      ),
    };
  }
  return { skipped: tx.status === 'success' ? 'the tracker follows it' : `the node answered: ${sent.error}` };
}

/** True once the updater recorded the node's acceptance, so the tracker follows it. */
const isFollowed = (tx: Transaction) => tx.status === 'success';

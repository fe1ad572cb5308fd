import type { ChainClient } from '../../chain/ChainRegistry.ts';
import type { ClassifiedRpcError } from '../../chain/classifyRpcError.ts';
import { landed, type Sighting } from '../../chain/findTransaction.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from '../BroadcastDeps.ts';
import { backoffDelay } from '../backoffDelay.ts';
import { type FillResult, fillNonce } from '../fillNonce.ts';
import { findSignature } from '../findSignature.ts';
import { failed, type Outcome, succeeded } from '../outcome.ts';

/**
 * Decides a signed transaction whose attempts are spent, without ever calling failed what may
 * still land: our hash known means success; otherwise the nonce is filled with a higher-priced
 * filler, and only a node that answered (it does not know our hash, or took the filler) lets us
 * call it failed. A node that answers nothing leaves it open, to be settled again later.
 */
export async function settleSpent(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction,
  sighting?: Sighting,
): Promise<Outcome> {
  const client = deps.chains.client(tx.chainId);
  const { seen, txHash } = sighting
    ? { seen: sighting, txHash: signed.txHash }
    : await findSignature(client, tx, signed.txHash);
  if (landed(seen)) {
    return succeeded(txHash, `Broadcast: after ${attempt} attempts the node reports ${txHash} as known.`);
  }
  if (seen === 'unseen') return failAndFill(deps, client, tx, attempt, c, signed);
  const fill = await fillNonce(deps, client, fillParams(tx, c, signed));
  if (fill.outcome !== 'later') return failAndFill(deps, client, tx, attempt, c, signed, fill);
  return settleLater(deps, tx, attempt, c, signed);
}

/** Leaves a spent transaction open and asks, on the retry queue, for another settling check after a backoff. */
async function settleLater(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction,
): Promise<Outcome> {
  const { retryBaseSeconds, retryCapSeconds, maxAttempts } = deps.settings;
  const delay = Math.max(1, backoffDelay(attempt, retryBaseSeconds, retryCapSeconds, deps.random));
  await deps.retryQueue.send({ id: tx.id, attempt: maxAttempts, phase: 'settle' }, delay);
  return {
    status: 'retrying',
    message: `All ${attempt} attempts failed (${c.reason}) and the node cannot be reached to tell whether ${signed.txHash} landed; nonce ${signed.nonce} is being settled before this is called failed.`,
    error: c.reason,
    nextAttemptAt: new Date(deps.now().getTime() + delay * 1000).toISOString(),
  };
}

function fillParams(tx: Transaction, c: ClassifiedRpcError, signed: SignedTransaction) {
  return {
    chainId: tx.chainId,
    from: signed.from,
    nonce: signed.nonce,
    reason: `transaction ${tx.id} failed: ${c.reason}`,
    forId: tx.id,
    replacing: signed.rawTx,
  };
}

/** Fails a signed transaction and fills its nonce, unless the filler shows our bytes got there first. */
export async function failAndFill(
  deps: BroadcastDeps,
  client: ChainClient,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction,
  filled?: FillResult,
): Promise<Outcome> {
  const fill = filled ?? (await fillNonce(deps, client, fillParams(tx, c, signed)));
  if (fill.outcome === 'taken') {
    // Something holds the nonce: ours, or someone else's. Only the node can say which.
    const { seen, txHash } = await findSignature(client, tx, signed.txHash);
    if (landed(seen))
      return succeeded(txHash, `Broadcast: ${txHash} reached the chain before its nonce could be filled.`);
    if (seen === 'unreachable') return settleLater(deps, tx, attempt, c, signed);
  }
  const note =
    fill.outcome === 'later'
      ? ` Nonce ${signed.nonce} will be filled by ${fill.filler.txHash} (the sweep re-sends it).`
      : ` Nonce ${signed.nonce} was filled by ${fill.filler.txHash}.`;
  return { ...failed(c, attempt), message: `${failed(c, attempt).message}${note}`, filledBy: fill.filler.txHash };
}

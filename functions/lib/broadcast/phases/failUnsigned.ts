import type { ClassifiedRpcError } from '../../chain/classifyRpcError.ts';
import { SigningInProgressError } from '../../errors/errors.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps } from '../BroadcastDeps.ts';
import { fillNonce } from '../fillNonce.ts';
import { failed, type Outcome } from '../outcome.ts';

/**
 * Ends a transaction that was never signed. The fence set with the claim still held means no
 * duplicate delivery can sign it afterwards; a nonce reserved for it is filled.
 */
export async function failUnsigned(
  deps: BroadcastDeps,
  tx: Transaction,
  token: string,
  c: ClassifiedRpcError,
  attempt: number,
): Promise<Outcome> {
  if (!(await deps.transactions.closeUnsigned(tx.id, token, c.reason))) throw new SigningInProgressError(tx.id);
  if (tx.nonce === undefined || tx.from === undefined) return failed(c, attempt);
  const client = deps.chains.client(tx.chainId);
  const fill = await fillNonce(deps, client, {
    chainId: tx.chainId,
    from: tx.from,
    nonce: tx.nonce,
    reason: `transaction ${tx.id} failed before it was signed: ${c.reason}`,
    forId: tx.id,
  }).catch(() => undefined);
  return fill ? { ...failed(c, attempt), filledBy: fill.filler.txHash } : failed(c, attempt);
}

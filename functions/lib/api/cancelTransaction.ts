import type { Logger } from '@aws-lambda-powertools/logger';
import type { Caller } from '../auth/Caller.ts';
import { mayAccess } from '../auth/mayAccess.ts';
import { NotCancelableError, NotFoundError } from '../errors/errors.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { IntakeWrites } from '../store/IntakeWrites.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import type { BroadcastMessage } from '../transactions/messages.ts';
import { type CancelRequest, isCanceled, isCancelMined, isTerminal, type Transaction } from '../transactions/model.ts';

export type CancelDeps = {
  transactions: Pick<TransactionReads, 'get'> & Pick<IntakeWrites, 'closeForCancel' | 'requestCancel'>;
  requests: QueueSender<BroadcastMessage>;
  logger: Logger;
  now: () => Date;
};

/** Why a transaction cannot be canceled any more, or undefined while it can. */
function tooLate(tx: Transaction): string | undefined {
  if (tx.status === 'mined' && !isCancelMined(tx)) return `it is in block ${tx.receipt?.blockNumber ?? '?'}`;
  if (isTerminal(tx.status) && !isCanceled(tx)) {
    return tx.status === 'failed' ? 'it failed before a cancel was asked for' : 'its outcome is final';
  }
  return undefined;
}

/**
 * Cancels a transaction for `caller` (an admin, or the client that submitted it; any other caller is
 * told it does not exist). Never signed: it is fenced at once so no worker may sign it, and the
 * broadcaster reports it failed ("canceled"). Signed and not yet in a block: the cancel is recorded and
 * the broadcaster asked to replace its nonce with a zero-value transfer to the sender, at re-priced
 * fees; what the chain mines decides the outcome (the original's, if it was mined first). A repeat asks
 * for nothing new. Returns the transaction as it is then.
 */
export async function cancelTransaction(deps: CancelDeps, id: string, caller: Caller): Promise<Transaction> {
  let tx = await deps.transactions.get(id);
  if (!tx || !mayAccess(caller, tx)) throw new NotFoundError(`no transaction with id ${id}`, id);
  const late = tooLate(tx);
  if (late) throw new NotCancelableError(id, tx.status, late);
  // Canceled, or its cancel in a block on its way to depth: nothing more to ask for.
  if (isCanceled(tx) || isCancelMined(tx)) return tx;
  const by = caller.role === 'admin' ? 'admin' : caller.client;
  const request: CancelRequest = { requestedAt: deps.now().toISOString(), by, reason: 'requested' };
  const attempt = Math.max(1, tx.attempts);
  if (!tx.rawTx && (await deps.transactions.closeForCancel(id, request, `canceled by ${by} before it was signed`))) {
    deps.logger.info('canceled before signing', { transactionId: id, by });
    // The broadcaster finds it closed and reports it failed; the sweep does, if this message is lost.
    await deps.requests.send({ id, attempt, phase: 'broadcast' });
    return (await deps.transactions.get(id)) ?? tx;
  }
  // Signed by now (or closed by another cancel): read it again to know which.
  tx = (await deps.transactions.get(id)) ?? tx;
  if (!tx.rawTx) {
    // Closed unsigned: its failure is on its way (or was reported); asking again costs nothing.
    await deps.requests.send({ id, attempt, phase: 'broadcast' });
    return tx;
  }
  if (!(await deps.transactions.requestCancel(id, request))) {
    // Mined, or ended, in between: its outcome is what the chain did.
    const now = (await deps.transactions.get(id)) ?? tx;
    const lateNow = tooLate(now);
    if (lateNow) throw new NotCancelableError(id, now.status, lateNow);
    return now;
  }
  deps.logger.info('cancel asked for', { transactionId: id, by, txHash: tx.txHash });
  await deps.requests.send({ id, attempt, phase: 'cancel' });
  return (await deps.transactions.get(id)) ?? tx;
}

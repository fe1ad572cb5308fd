import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { IntakeWrites } from '../store/IntakeWrites.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { initialState, type NewTransaction } from '../store/transactionKeys.ts';
import { dueForSweepAt } from '../transactions/dueForSweepAt.ts';
import type { BroadcastMessage } from '../transactions/messages.ts';
import type { Transaction } from '../transactions/model.ts';

/** What recording a transaction needs: the table, the requests queue, and the clock. */
export type RecordDeps = {
  transactions: Pick<TransactionReads, 'get'> & IntakeWrites;
  requests: QueueSender<BroadcastMessage>;
  staleAfterMs: number;
  logger: Logger;
  now: () => Date;
};

/** The transaction an id names, and whether it existed before this call (so this call created nothing). */
export type Recorded = { tx: Transaction; replayed: boolean };

/**
 * The one way a transaction enters the system: recorded `pending` unless its id exists already (the
 * point from which it is never lost), then enqueued by the call that created it. If the enqueue fails
 * the record stays, and the sweep enqueues it once it is stale.
 */
export async function recordTransaction(deps: RecordDeps, tx: NewTransaction): Promise<Recorded> {
  const now = deps.now();
  const created = await deps.transactions.createIfAbsent(tx, dueForSweepAt(now.getTime(), deps.staleAfterMs));
  if (!created) {
    const existing = await deps.transactions.get(tx.id);
    if (!existing) throw new Error(`transaction ${tx.id} exists and cannot be read`);
    return { tx: existing, replayed: true };
  }
  try {
    await deps.requests.send({ id: tx.id, attempt: 1, phase: 'broadcast' });
  } catch (error) {
    deps.logger.error('enqueue failed; the sweep will enqueue it', { transactionId: tx.id, error });
  }
  return { tx: initialState(tx), replayed: false };
}

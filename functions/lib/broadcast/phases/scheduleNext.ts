import type { ClassifiedRpcError } from '../../chain/classifyRpcError.ts';
import type { Sighting } from '../../chain/findTransaction.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from '../BroadcastDeps.ts';
import { backoffDelay, preSendDelay } from '../backoffDelay.ts';
import { failed, type Outcome } from '../outcome.ts';
import { settleSpent } from './settleSpent.ts';

/**
 * After a failed attempt: schedules the next one on the retry queue with backoff while attempts are
 * left; after the last one, settles a signed transaction (with what the node was just seen to know of
 * our hash, when it was asked already) and fails an unsigned one.
 */
export async function scheduleNext(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction | undefined,
  seen?: Sighting,
): Promise<Outcome> {
  const { maxAttempts, retryBaseSeconds, retryCapSeconds } = deps.settings;
  if (attempt < maxAttempts) {
    const delay = backoffDelay(attempt, retryBaseSeconds, retryCapSeconds, deps.random);
    await deps.retryQueue.send({ id: tx.id, attempt: attempt + 1, phase: 'broadcast' }, delay);
    return {
      status: 'retrying',
      message: `Attempt ${attempt} of ${maxAttempts} failed (${c.label}: ${c.reason}); retrying in about ${delay} s.`,
      error: c.reason,
      nextAttemptAt: new Date(deps.now().getTime() + delay * 1000).toISOString(),
    };
  }
  if (!signed) return failed(c, attempt);
  return settleSpent(deps, tx, attempt, c, signed, seen);
}

/**
 * After an attempt that sent nothing (fee data, gas estimate, nonce seed or signing failed, transiently):
 * it is not an attempt spent. The same attempt is scheduled again on the retry queue with backoff, carrying
 * when it first failed so (`unsentSince`), as long as that is within PRESEND_BUDGET_SECONDS.
 */
export async function retryUnsent(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  unsentSince: number,
): Promise<Outcome> {
  const { maxAttempts, preSendBudgetMs, retryBaseSeconds, retryCapSeconds } = deps.settings;
  const now = deps.now().getTime();
  const delay = preSendDelay(now - unsentSince, preSendBudgetMs, retryBaseSeconds, retryCapSeconds, deps.random);
  await deps.retryQueue.send({ id: tx.id, attempt, phase: 'broadcast', unsentSince }, delay);
  return {
    status: 'retrying',
    message: `Nothing sent yet (${c.label}: ${c.reason}); attempt ${attempt} of ${maxAttempts} not spent, retrying in about ${delay} s.`,
    error: c.reason,
    nextAttemptAt: new Date(now + delay * 1000).toISOString(),
    unsentSince,
  };
}

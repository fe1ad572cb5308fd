import type { OutcomeWrites } from '../store/OutcomeWrites.ts';
import { dueForSweepAt } from '../transactions/dueForSweepAt.ts';
import type { ResponseMessage } from '../transactions/messages.ts';

/**
 * Applies one response's outcome to its transaction, forward only: a late or repeated response is
 * ignored, not an error. A retrying transaction becomes due for the sweep `staleAfterMs` after its
 * next attempt was scheduled.
 */
export async function recordOutcome(
  transactions: OutcomeWrites,
  response: ResponseMessage,
  staleAfterMs: number,
  now: Date,
): Promise<'applied' | 'ignored'> {
  // The wire message says when the next attempt runs; the record keeps when the sweep should look.
  const { nextAttemptAt, ...outcome } = response;
  const from = nextAttemptAt ? Date.parse(nextAttemptAt) : now.getTime();
  return transactions.applyOutcome(outcome, dueForSweepAt(from, staleAfterMs));
}

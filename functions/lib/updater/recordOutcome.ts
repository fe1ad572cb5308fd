import type { TransactionStore } from '../store/TransactionStore.ts';
import type { ResponseMessage } from '../transactions/messages.ts';

/**
 * Applies one attempt's outcome to its transaction, forward only: a late or repeated response is
 * ignored, not an error. A retrying transaction becomes due for the sweep `staleAfterMs` after its
 * next attempt was scheduled.
 */
export async function recordOutcome(
  transactions: TransactionStore,
  response: ResponseMessage,
  staleAfterMs: number,
  now: Date,
): Promise<'applied' | 'ignored'> {
  const nextAt = response.nextAttemptAt ? Date.parse(response.nextAttemptAt) : now.getTime();
  return transactions.applyResponse(response, nextAt + staleAfterMs);
}

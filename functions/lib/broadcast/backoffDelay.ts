/** SQS accepts at most 15 minutes of `DelaySeconds`. */
export const maxDelaySeconds = 900;

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^(attempt-1))],
 * in whole seconds as `DelaySeconds` needs. `attempt` is the attempt that just failed (1-based).
 */
export function backoffDelay(attempt: number, baseSeconds: number, capSeconds: number, random: () => number): number {
  const cap = Math.min(capSeconds, maxDelaySeconds);
  const ceiling = Math.min(cap, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.min(cap, Math.floor(random() * (ceiling + 1)));
}

/**
 * The delay before a transaction that nothing was sent for is tried again, `waitedMs` after its first
 * such failure: full jitter up to the time waited so far (at least the base, at most the cap), so the
 * delays grow as they would with attempts, without counting any; at least a second (a base of 0 would
 * loop through the queue), never past the end of the budget.
 */
export function preSendDelay(
  waitedMs: number,
  budgetMs: number,
  baseSeconds: number,
  capSeconds: number,
  random: () => number,
): number {
  const cap = Math.min(capSeconds, maxDelaySeconds);
  const ceiling = Math.min(cap, Math.max(baseSeconds, Math.floor(waitedMs / 1000)));
  const left = Math.max(0, Math.ceil((budgetMs - waitedMs) / 1000));
  return Math.min(left, Math.max(1, Math.floor(random() * (ceiling + 1))));
}

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

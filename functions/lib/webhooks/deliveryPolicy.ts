/** How long one delivery may take before it counts as failed: a receiver answers within this or is retried. */
export const webhookTimeoutMs = 10_000;

/** The longest delay SQS gives one message (DelaySeconds): the backoff's cap. */
const capSeconds = 900;

/** How much of a receiver's answer is kept: its first bytes, enough to read an error, never a whole body. */
export const excerptBytes = 256;

/**
 * The wait before attempt `next` (2, 3, ...) of a delivery: `baseSeconds` doubled after each failure,
 * at most 900 s, at least 1 s. With the defaults (10 s, 11 attempts) the retries span about an hour:
 * 10 + 20 + 40 + ... + 640 + 900 + 900 + 900 s.
 */
export function webhookBackoffSeconds(next: number, baseSeconds: number): number {
  return Math.max(1, Math.min(capSeconds, baseSeconds * 2 ** (next - 2)));
}

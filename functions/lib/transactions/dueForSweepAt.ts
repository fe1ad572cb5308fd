/**
 * When an open transaction becomes due for the sweep: `staleAfterMs` after it last moved, or after the
 * moment its next attempt was scheduled for. Until then the sweep leaves it to the queue that holds it.
 */
export function dueForSweepAt(fromMs: number, staleAfterMs: number): number {
  return fromMs + staleAfterMs;
}

/**
 * How long a tracked transaction may stay quiet before the sweep restarts its tracking: `staleAfterMs`,
 * but at least four looks `intervalSeconds` apart, so that a look that needs the one before it (two
 * misses in a row decide) can come before a new token stops it.
 */
export function trackedStaleAfterMs(staleAfterMs: number, intervalSeconds: number): number {
  return Math.max(staleAfterMs, 4000 * intervalSeconds);
}

/**
 * When an open transaction becomes due for the sweep: `staleAfterMs` after it last moved, or after the
 * moment its next attempt was scheduled for. Until then the sweep leaves it to the queue that holds it.
 */
export function dueForSweepAt(fromMs: number, staleAfterMs: number): number {
  return fromMs + staleAfterMs;
}

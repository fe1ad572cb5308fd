/**
 * When each transaction was first heard to reach one status (from the stack's counters), and a wait
 * until every one of a set has: the phases time their transactions by it.
 */
export function createSightings(what: string) {
  const at = new Map<string, number>();
  let waiting: { ids: Set<string>; done: () => void } | undefined;
  return {
    at,
    /** `id` reached it at `time`; only the first time counts. */
    see(id: string, time: number) {
      if (at.has(id)) return;
      at.set(id, time);
      if (waiting?.ids.delete(id) && waiting.ids.size === 0) waiting.done();
    },
    /**
     * Resolves once every one of `ids` was seen; rejects after `timeoutMs`, or once none more was seen for
     * `stallMs` (a stall is told in minutes, not at the end of a long timeout), saying how many were not.
     */
    all(ids: string[], timeoutMs: number, options: { stallMs?: number } = {}): Promise<void> {
      const open = new Set(ids.filter((id) => id && !at.has(id)));
      if (open.size === 0) return Promise.resolve();
      const stallMs = options.stallMs !== undefined && options.stallMs > 0 ? options.stallMs : undefined;
      return new Promise<void>((resolve, reject) => {
        const startedAt = performance.now();
        let seenAt = startedAt;
        let left = open.size;
        const end = (error?: Error) => {
          clearInterval(timer);
          waiting = undefined;
          if (error) reject(error);
          else resolve();
        };
        const timer = setInterval(
          () => {
            if (open.size < left) [left, seenAt] = [open.size, performance.now()];
            const stalled = stallMs !== undefined && performance.now() - seenAt >= stallMs;
            if (!stalled && performance.now() - startedAt < timeoutMs) return;
            const why = stalled ? `none more for ${(stallMs ?? 0) / 1000} s` : `after ${timeoutMs / 1000} s`;
            end(new Error(`${open.size} of ${ids.length} transactions not ${what}, ${why}`));
          },
          Math.min(1000, timeoutMs, stallMs ?? 1000),
        );
        waiting = { ids: open, done: () => end() };
      });
    },
  };
}

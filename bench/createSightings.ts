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
    /** Resolves once every one of `ids` was seen; rejects after `timeoutMs`, saying how many were not. */
    all(ids: string[], timeoutMs: number): Promise<void> {
      const open = new Set(ids.filter((id) => id && !at.has(id)));
      if (open.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error(`${open.size} of ${ids.length} transactions not ${what} after ${timeoutMs / 1000} s`));
        }, timeoutMs);
        waiting = {
          ids: open,
          done: () => {
            clearTimeout(timer);
            waiting = undefined;
            resolve();
          },
        };
      });
    },
  };
}

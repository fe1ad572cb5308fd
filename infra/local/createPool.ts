/** A fixed number of slots: the local stand-in for a function's concurrency limit. */
export type Pool = {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Resolves once a slot is free (without taking it): a poller receives no more than can be invoked. */
  whenFree(): Promise<void>;
};

/** Runs at most `size` tasks at once; the rest wait their turn in order. */
export function createPool(size: number): Pool {
  let busy = 0;
  const waiting: Array<() => void> = [];
  let freed: Array<() => void> = [];
  return {
    whenFree() {
      if (busy < size) return Promise.resolve();
      return new Promise<void>((resolve) => freed.push(resolve));
    },
    async run(task) {
      if (busy >= size) await new Promise<void>((resolve) => waiting.push(resolve));
      else busy++;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else {
          busy--;
          const all = freed;
          freed = [];
          for (const resolve of all) resolve();
        }
      }
    },
  };
}

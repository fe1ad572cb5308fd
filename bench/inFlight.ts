/** Runs `task(0..count-1)` with at most `limit` running at once; resolves when all are done. */
export async function inFlight(limit: number, count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

import { inFlight } from './inFlight.ts';

/** How fast one phase moved `count` transactions. */
export type Throughput = {
  count: number;
  seconds: number;
  /** Transactions per second. */
  perSecond: number;
  /** Requests the node or the API refused (none expected). */
  errors: number;
};

/** The throughput of `count` transactions in `ms` milliseconds. */
export function throughput(count: number, ms: number, errors: number): Throughput {
  const seconds = ms / 1000;
  return { count, seconds, perSecond: seconds > 0 ? count / seconds : 0, errors };
}

/**
 * Runs a phase: `warmup` tasks untimed, then `n` timed, `c` in flight. Task `i` is numbered across both
 * (the timed ones from `warmup`); it resolves `false` for a transaction refused, which counts as an
 * error only in the timed part.
 */
export async function timePhase(
  options: { n: number; c: number; warmup: number },
  task: (i: number) => Promise<boolean>,
): Promise<Throughput> {
  await inFlight(options.c, options.warmup, async (i) => {
    await task(i);
  });
  let errors = 0;
  const start = performance.now();
  await inFlight(options.c, options.n, async (i) => {
    if (!(await task(options.warmup + i))) errors++;
  });
  return throughput(options.n, performance.now() - start, errors);
}

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

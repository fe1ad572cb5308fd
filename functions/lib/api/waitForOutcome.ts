import { setTimeout as sleep } from 'node:timers/promises';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { isBroadcast, isTerminal, type Transaction } from '../transactions/model.ts';

/** The node took it (success or later), or it ended. */
const broadcastOrEnded = (tx: Transaction) => isTerminal(tx.status) || isBroadcast(tx.status);

/** A stamp is taken before its write is sent: the row says so this much later. */
const landingMs = 3;
/** The least time between two reads of the row. */
const minGapMs = 5;

/**
 * How long the rows this process waited on took to say `success`, from their creation: the last `size`
 * of them, each estimated as midway between the wait's last read that missed it (or the wait's start)
 * and the read that found it. Where the wait's first reads go.
 */
export type OutcomeTimes = {
  observe(ms: number): void;
  /** When, in ms after its creation, the wait reads a row first and second: none until enough were seen. */
  marks(): number[];
};

/** Outcome times kept in a ring of the last `size`; marks at their 75th and 95th percentile once `least` were seen. */
export function createOutcomeTimes(size = 64, least = 8): OutcomeTimes {
  const ring: number[] = [];
  let next = 0;
  return {
    observe(ms) {
      if (!Number.isFinite(ms)) return;
      ring[next] = Math.max(0, ms);
      next = (next + 1) % size;
    },
    marks() {
      if (ring.length < least) return [];
      const sorted = [...ring].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return [at(0.75), at(0.95)];
    },
  };
}

/**
 * Re-reads a transaction until `done` (by default: the node took it, success or later, or it failed),
 * or `waitMs` has passed; returns the last state seen. Without `times`, or before it has seen enough,
 * the reads come 25, 75, 175 ms after the wait began, then every 250 ms. With it, the first two come
 * when three in four and 19 in 20 of the recent rows said `success`, then the same ladder: an answer
 * waits little past its outcome, with about as many reads as before.
 */
export async function waitForOutcome(
  transactions: Pick<TransactionReads, 'get'>,
  tx: Transaction,
  waitMs: number,
  done: (tx: Transaction) => boolean = broadcastOrEnded,
  times?: OutcomeTimes,
): Promise<Transaction> {
  const deadline = Date.now() + waitMs;
  const created = Date.parse(tx.createdAt);
  // Only marks the wait reaches: one past its end would leave it without a read where the ladder makes one.
  const marks = Number.isFinite(created)
    ? (times?.marks() ?? []).filter((mark) => created + mark + landingMs < deadline)
    : [];
  let current = tx;
  let pause = 25;
  let reads = 0;
  let missedAt = Date.now();
  let readAt = missedAt;
  while (!done(current)) {
    const mark = marks[reads];
    const gap = reads === 0 ? 0 : minGapMs;
    const wait = mark === undefined ? pause : Math.max(gap, created + mark + landingMs - Date.now());
    if (Date.now() + wait >= deadline) break;
    await sleep(wait);
    if (mark === undefined) pause = Math.min(pause * 2, 250);
    reads++;
    missedAt = readAt;
    readAt = Date.now();
    current = (await transactions.get(tx.id)) ?? current;
  }
  if (times && reads > 0 && current.status === 'success') times.observe((missedAt + readAt) / 2 - created);
  return current;
}

import { describe, expect, it } from 'vitest';
import { createOutcomeTimes, waitForOutcome } from '../../functions/lib/api/waitForOutcome.ts';
import type { Transaction } from '../../functions/lib/transactions/model.ts';
import { pendingTransaction } from './fakes/broadcastFakes.ts';

/** A row created now that says `success` from `afterMs` on; every read of it is kept, in ms after its creation. */
function rowSucceedingAfter(afterMs: number) {
  const created = Date.now();
  const tx = pendingTransaction({ createdAt: new Date(created).toISOString() });
  const reads: number[] = [];
  const store = {
    async get(): Promise<Transaction> {
      const at = Date.now() - created;
      reads.push(at);
      return at >= afterMs ? { ...tx, status: 'success', updatedAt: new Date().toISOString() } : tx;
    },
  };
  return { tx, store, reads };
}

describe('createOutcomeTimes', () => {
  it('gives no marks until it has seen eight, then the 75th and 95th percentile of the last ones', () => {
    const times = createOutcomeTimes(20, 8);
    for (let i = 1; i <= 7; i++) times.observe(i * 10);
    expect(times.marks()).toEqual([]);
    times.observe(80);
    expect(times.marks()).toEqual([70, 80]);
    // The ring keeps the last 20: the first ones fall out.
    for (let i = 0; i < 20; i++) times.observe(5);
    expect(times.marks()).toEqual([5, 5]);
  });
});

describe('waitForOutcome', () => {
  it('without times it reads 25 ms after it began, then 50 ms later', async () => {
    const { tx, store, reads } = rowSucceedingAfter(40);
    const seen = await waitForOutcome(store, tx, 2000);
    expect(seen.status).toBe('success');
    expect(reads).toHaveLength(2);
    expect(reads[1]).toBeGreaterThanOrEqual(70);
  });

  it('with times that know the outcome comes at 40 ms, it reads once, just after', async () => {
    const times = createOutcomeTimes();
    for (let i = 0; i < 8; i++) times.observe(40);
    const { tx, store, reads } = rowSucceedingAfter(40);
    const seen = await waitForOutcome(store, tx, 2000, undefined, times);
    expect(seen.status).toBe('success');
    expect(reads).toHaveLength(1);
    expect(reads[0]).toBeGreaterThanOrEqual(40);
    expect(reads[0]).toBeLessThan(70);
  });

  it('learns from what it waited for: a row found between two reads is counted midway', async () => {
    const times = createOutcomeTimes(64, 1);
    const { tx, store, reads } = rowSucceedingAfter(40);
    await waitForOutcome(store, tx, 2000, undefined, times);
    // Read at about 25 (missed) and 75 (found): about 50.
    const [first, second] = reads;
    const [mark] = times.marks();
    expect(mark).toBeGreaterThanOrEqual(((first ?? 0) + (second ?? 0)) / 2 - 2);
    expect(mark).toBeLessThanOrEqual(((first ?? 0) + (second ?? 0)) / 2 + 2);
  });

  it('with marks past its end (recent outcomes slower than this wait), it reads on the ladder instead', async () => {
    const times = createOutcomeTimes(64, 1);
    times.observe(3000);
    const { tx, store, reads } = rowSucceedingAfter(40);
    const seen = await waitForOutcome(store, tx, 500, undefined, times);
    expect(seen.status).toBe('success');
    expect(reads).toHaveLength(2);
  });

  it('stops at its wait, and learns nothing from a row that did not get there', async () => {
    const times = createOutcomeTimes(64, 1);
    const { tx, store } = rowSucceedingAfter(10_000);
    const seen = await waitForOutcome(store, tx, 100, undefined, times);
    expect(seen.status).toBe('pending');
    expect(times.marks()).toEqual([]);
  });
});

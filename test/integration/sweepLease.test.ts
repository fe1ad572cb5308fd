import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepLease, type SweepLease } from '../../functions/lib/store/SweepLease.ts';
import { sweepLeaseSeconds, withSweepLease } from '../../functions/lib/sweep/sweepLease.ts';
import { startTestTable, type TestTable } from '../support/startTestTable.ts';

// One sweep at a time through a lease in the table (dynalite), not a reserved concurrency of 1.
let table: TestTable;
let lease: SweepLease;
const silent = { info: () => {} };

beforeAll(async () => {
  table = await startTestTable('lease');
  lease = createSweepLease(table.doc, table.tableName);
});

afterAll(async () => {
  await table?.stop();
});

describe('the sweep lease', () => {
  it('of two sweeps started together, one runs and the other does nothing', async () => {
    let running = 0;
    let most = 0;
    const run = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 50));
      running--;
      return 'ran';
    };
    const results = await Promise.all(
      ['a', 'b', 'c'].map((owner) => withSweepLease({ lease, owner, now: Date.now, logger: silent }, run)),
    );
    expect(results.filter((r) => r === 'ran')).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(2);
    expect(most).toBe(1);
    // Given back: the next run takes it.
    expect(await withSweepLease({ lease, owner: 'd', now: Date.now, logger: silent }, run)).toBe('ran');
  });

  it('a holder that died frees it once its time is up, not before', async () => {
    const t0 = 1_000_000;
    expect(await lease.acquire('dead', t0, sweepLeaseSeconds)).toBe(true);
    expect(await lease.acquire('next', t0 + (sweepLeaseSeconds - 1) * 1000, sweepLeaseSeconds)).toBe(false);
    expect(await lease.acquire('next', t0 + sweepLeaseSeconds * 1000, sweepLeaseSeconds)).toBe(true);
    // The dead one's late release does not free the lease the next one holds.
    await lease.release('dead');
    expect(await lease.acquire('third', t0 + sweepLeaseSeconds * 1000 + 1, sweepLeaseSeconds)).toBe(false);
    await lease.release('next');
    expect(await lease.acquire('third', t0 + sweepLeaseSeconds * 1000 + 1, sweepLeaseSeconds)).toBe(true);
    await lease.release('third');
  });

  it('is given back when the run throws', async () => {
    await expect(
      withSweepLease({ lease, owner: 'e', now: Date.now, logger: silent }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await lease.acquire('f', Date.now(), sweepLeaseSeconds)).toBe(true);
    await lease.release('f');
  });
});

import { describe, expect, it } from 'vitest';
import { planStatusCount } from '../../functions/lib/store/planStatusCount.ts';
import { everyDay } from '../../functions/lib/store/StatusCounts.ts';

// How a count of the admin's range is split: whole days from their counters, the edges from the index over
// at most half a day, the days before the counters began from the index.

const now = Date.parse('2026-06-10T12:00:00.000Z');

describe('planStatusCount', () => {
  it('any time, every day counted: the counters of every day, nothing from the index', () => {
    expect(planStatusCount({}, everyDay, now)).toEqual([{ source: 'counters' }]);
  });

  it('whole days: their counters only', () => {
    expect(
      planStatusCount({ from: '2026-06-01T00:00:00.000Z', to: '2026-06-03T00:00:00.000Z' }, everyDay, now),
    ).toEqual([{ source: 'counters', first: '2026-06-01', end: '2026-06-03' }]);
  });

  it('short edges are counted from the index over the range’s part of the day', () => {
    expect(
      planStatusCount({ from: '2026-06-01T20:00:00.000Z', to: '2026-06-04T03:00:00.000Z' }, everyDay, now),
    ).toEqual([
      { source: 'index', from: '2026-06-01T20:00:00.000Z', to: '2026-06-02T00:00:00.000Z', sign: 1 },
      { source: 'index', from: '2026-06-04T00:00:00.000Z', to: '2026-06-04T03:00:00.000Z', sign: 1 },
      { source: 'counters', first: '2026-06-02', end: '2026-06-04' },
    ]);
  });

  it('long edges: the day’s counter, less the rest of the day counted from the index', () => {
    expect(
      planStatusCount({ from: '2026-06-01T02:00:00.000Z', to: '2026-06-04T21:00:00.000Z' }, everyDay, now),
    ).toEqual([
      { source: 'counters', first: '2026-06-01', end: '2026-06-02' },
      { source: 'index', from: '2026-06-01T00:00:00.000Z', to: '2026-06-01T02:00:00.000Z', sign: -1 },
      { source: 'counters', first: '2026-06-04', end: '2026-06-05' },
      { source: 'index', from: '2026-06-04T21:00:00.000Z', to: '2026-06-05T00:00:00.000Z', sign: -1 },
      { source: 'counters', first: '2026-06-02', end: '2026-06-04' },
    ]);
  });

  it('within one day: the shorter of the two parts', () => {
    const inside = { from: '2026-06-01T10:00:00.000Z', to: '2026-06-01T11:00:00.000Z' };
    expect(planStatusCount(inside, everyDay, now)).toEqual([{ source: 'index', ...inside, sign: 1 }]);
    expect(
      planStatusCount({ from: '2026-06-01T01:00:00.000Z', to: '2026-06-01T23:00:00.000Z' }, everyDay, now),
    ).toEqual([
      { source: 'counters', first: '2026-06-01', end: '2026-06-02' },
      { source: 'index', from: '2026-06-01T00:00:00.000Z', to: '2026-06-01T01:00:00.000Z', sign: -1 },
      { source: 'index', from: '2026-06-01T23:00:00.000Z', to: '2026-06-02T00:00:00.000Z', sign: -1 },
    ]);
  });

  it('the last 15 minutes: nothing is created after now, so today’s rest weighs nothing', () => {
    // 12:00 today: the 11:45-12:00 part is the short one, though 11:45-midnight is half the day.
    expect(planStatusCount({ from: '2026-06-10T11:45:00.000Z' }, everyDay, now)).toEqual([
      { source: 'index', from: '2026-06-10T11:45:00.000Z', to: '2026-06-11T00:00:00.000Z', sign: 1 },
      { source: 'counters', first: '2026-06-11' },
    ]);
    // The last 24 hours at noon: half of yesterday from the index, today from its counters.
    expect(planStatusCount({ from: '2026-06-09T12:00:00.000Z' }, everyDay, now)).toEqual([
      { source: 'index', from: '2026-06-09T12:00:00.000Z', to: '2026-06-10T00:00:00.000Z', sign: 1 },
      { source: 'counters', first: '2026-06-10' },
    ]);
  });

  it('a table counted only from a day on: the days before it from the index', () => {
    expect(planStatusCount({}, '2026-06-05', now)).toEqual([
      { source: 'index', to: '2026-06-05T00:00:00.000Z', sign: 1 },
      { source: 'counters', first: '2026-06-05' },
    ]);
    const before = { from: '2026-06-01T00:00:00.000Z', to: '2026-06-03T00:00:00.000Z' };
    expect(planStatusCount(before, '2026-06-05', now)).toEqual([{ source: 'index', ...before, sign: 1 }]);
    expect(
      planStatusCount({ from: '2026-06-04T06:00:00.000Z', to: '2026-06-07T00:00:00.000Z' }, '2026-06-05', now),
    ).toEqual([
      { source: 'index', from: '2026-06-04T06:00:00.000Z', to: '2026-06-05T00:00:00.000Z', sign: 1 },
      { source: 'counters', first: '2026-06-05', end: '2026-06-07' },
    ]);
  });
});

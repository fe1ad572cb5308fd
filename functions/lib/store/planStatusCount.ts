import { dayOf, everyDay, nextDay, startOfDay } from './StatusCounts.ts';

/** A time range of creation: `from` inclusive, `to` exclusive, ISO instants as `toISOString()` writes them; unbounded where absent. */
export type CreationRange = { from?: string | undefined; to?: string | undefined };

/**
 * One part of a count: the whole days `[first, end)` read from their counters, or a window counted from
 * the byStatus index, added (`sign` 1) or taken away (-1: the part of an edge day outside the range).
 */
export type CountTerm =
  | { source: 'counters'; first?: string; end?: string }
  | { source: 'index'; from?: string; to?: string; sign: 1 | -1 };

const ms = (instant: string) => Date.parse(instant);

/** `{ from, to }` without the bounds that are absent (the store's optional fields take no `undefined`). */
const window = (from: string | undefined, to: string | undefined, sign: 1 | -1 = 1): CountTerm => ({
  source: 'index',
  ...(from === undefined ? {} : { from }),
  ...(to === undefined ? {} : { to }),
  sign,
});

/**
 * The part `[a, b)` of a counted day, not all of it: either its own transactions are counted from the
 * index, or the rest of the day's are and taken from the day's counter, whichever part holds less of
 * the day. Nothing is created after `now`, so the time after it weighs nothing (the estimate only
 * chooses; both ways give the same count). Either way it reads at most half a day's transactions.
 */
function partOfDay(day: string, a: string, b: string, now: number): CountTerm[] {
  const start = startOfDay(day);
  const end = startOfDay(nextDay(day));
  const until = Math.min(ms(end), now);
  const inside = Math.max(0, Math.min(ms(b), now) - ms(a));
  const outside = ms(a) - ms(start) + Math.max(0, until - ms(b));
  if (inside <= outside) return [window(a, b)];
  return [
    { source: 'counters', first: day, end: nextDay(day) },
    ...(a > start ? [window(start, a, -1)] : []),
    ...(b < end ? [window(b, end, -1)] : []),
  ];
}

/**
 * How to count the transactions created in `range` per status, when the counters are complete from the
 * day `since`: the days before it from the index (a table made before counters; a bounded past, which
 * does not grow), the whole days from their counters, and the partial days at the edges from the index
 * over the part of the day the range takes (or the rest of it: see `partOfDay`), never more than a day's
 * transactions, whatever the table holds.
 */
export function planStatusCount(range: CreationRange, since: string, now: number): CountTerm[] {
  const terms: CountTerm[] = [];
  let from = range.from;
  const to = range.to;
  const countedFrom = startOfDay(since);
  if (since !== everyDay && (from === undefined || from < countedFrom)) {
    // Before the counters began: only the index knows.
    terms.push(window(from, to !== undefined && to < countedFrom ? to : countedFrom));
    if (to !== undefined && to <= countedFrom) return terms;
    from = countedFrom;
  }
  // The first day, when the range starts within it.
  if (from !== undefined && from !== startOfDay(dayOf(from))) {
    const day = dayOf(from);
    const end = startOfDay(nextDay(day));
    if (to !== undefined && to <= end) return [...terms, ...partOfDay(day, from, to, now)];
    terms.push(...partOfDay(day, from, end, now));
    from = end;
  }
  // The last day, when the range ends within it.
  if (to !== undefined && to !== startOfDay(dayOf(to)))
    terms.push(...partOfDay(dayOf(to), startOfDay(dayOf(to)), to, now));
  // The whole days between, from their counters.
  const first = from === undefined ? undefined : dayOf(from);
  const end = to === undefined ? undefined : dayOf(to);
  if (first === undefined || end === undefined || first < end) {
    terms.push({
      source: 'counters',
      ...(first === undefined ? {} : { first }),
      ...(end === undefined ? {} : { end }),
    });
  }
  return terms;
}

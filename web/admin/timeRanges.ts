/** The time filters the page offers; `custom` takes `from` and `to` from the form. */
export const timeRanges = [
  { value: 'all', label: 'Any time' },
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: 'today', label: 'Today' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: 'custom', label: 'Between…' },
] as const;

/** One of the time filters the page offers. */
export type TimeRange = (typeof timeRanges)[number]['value'];

const minute = 60_000;
const spans: Partial<Record<TimeRange, number>> = {
  '15m': 15 * minute,
  '1h': 60 * minute,
  '24h': 1440 * minute,
  '7d': 7 * 1440 * minute,
};

/**
 * The `from` and `to` query values (ISO instants) of a time filter at `now`; `custom` reads the two
 * `datetime-local` values, which are in the reader's time zone.
 */
export function resolveRange(
  range: TimeRange,
  custom: { from: string; to: string },
  now: Date = new Date(),
): { from?: string; to?: string } {
  const span = spans[range];
  if (span !== undefined) return { from: new Date(now.getTime() - span).toISOString() };
  if (range === 'today') {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    return { from: midnight.toISOString() };
  }
  if (range === 'custom') {
    const local = (value: string) => (value ? new Date(value) : undefined);
    const from = local(custom.from);
    const to = local(custom.to);
    return {
      ...(from && !Number.isNaN(from.getTime()) ? { from: from.toISOString() } : {}),
      ...(to && !Number.isNaN(to.getTime()) ? { to: to.toISOString() } : {}),
    };
  }
  return {};
}

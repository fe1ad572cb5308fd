import { describe, expect, it } from 'vitest';
import { rebroadcastIdOf } from '../../functions/lib/api/rebroadcastIdOf.ts';
import { statuses } from '../../functions/lib/transactions/model.ts';
import { formatEth, formatWhen, shortHex } from '../../web/admin/format.ts';
import { statusOrder } from '../../web/admin/statusOrder.ts';
import { resolveRange } from '../../web/admin/timeRanges.ts';

describe('formatEth', () => {
  it.each([
    ['0', '0'],
    ['1', '0.000000000000000001'],
    ['1000000000000000', '0.001'],
    ['2500000000000000000', '2.5'],
    ['1000000000000000000000', '1000'],
    [
      '115792089237316195423570985008687907853269984665640564039457584007913129639935',
      '115792089237316195423570985008687907853269984665640564039457.584007913129639935',
    ],
  ])('%s wei is %s ETH, exactly', (wei, eth) => {
    expect(formatEth(wei)).toBe(eth);
  });

  it('shows what it cannot read as it is', () => {
    expect(formatEth('lots')).toBe('lots');
  });
});

describe('shortHex and formatWhen', () => {
  it('keeps the start and end of a long hex string, and a short one whole', () => {
    expect(shortHex('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')).toBe('0x7099…79C8');
    expect(shortHex('0x1234')).toBe('0x1234');
    expect(shortHex(null)).toBe('');
  });

  it('shows the time alone for today, the date and minute before', () => {
    const now = new Date(2026, 10, 24, 15, 0, 0);
    expect(formatWhen(new Date(2026, 10, 24, 9, 5, 7).toISOString(), now)).toBe('09:05:07');
    expect(formatWhen(new Date(2026, 10, 23, 9, 5, 7).toISOString(), now)).toBe('2026-11-23 09:05');
  });
});

describe('resolveRange', () => {
  const now = new Date('2026-11-24T12:00:00.000Z');
  it('turns a relative range into a `from` instant at the time it is asked', () => {
    expect(resolveRange('all', { from: '', to: '' }, now)).toEqual({});
    expect(resolveRange('1h', { from: '', to: '' }, now)).toEqual({ from: '2026-11-24T11:00:00.000Z' });
    expect(resolveRange('7d', { from: '', to: '' }, now)).toEqual({ from: '2026-11-17T12:00:00.000Z' });
    const today = resolveRange('today', { from: '', to: '' }, now).from ?? '';
    expect(new Date(today).getHours()).toBe(0);
    expect(Date.parse(today)).toBeLessThanOrEqual(now.getTime());
  });

  it('reads a custom range in local time, and leaves out an empty end', () => {
    const from = '2026-11-20T08:30';
    expect(resolveRange('custom', { from, to: '' }, now)).toEqual({ from: new Date(from).toISOString() });
    expect(resolveRange('custom', { from: 'nonsense', to: '' }, now)).toEqual({});
  });
});

describe('the page and the model agree', () => {
  it('the page offers every status the model has', () => {
    expect([...statusOrder].sort()).toEqual([...statuses].sort());
  });
});

describe('rebroadcastIdOf', () => {
  it('is the same for the same transaction, different for another, and shaped like a UUID', () => {
    const id = rebroadcastIdOf('0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d11');
    expect(rebroadcastIdOf('0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d11')).toBe(id);
    expect(rebroadcastIdOf('0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d12')).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A rebroadcast of a rebroadcast is another transaction again.
    expect(rebroadcastIdOf(id)).not.toBe(id);
  });
});

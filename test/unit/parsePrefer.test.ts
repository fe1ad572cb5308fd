import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from '../../functions/lib/http/parseIdempotencyKey.ts';
import { parsePrefer } from '../../functions/lib/http/parsePrefer.ts';

describe('parsePrefer (RFC 7240)', () => {
  it.each([
    [undefined, { waitMs: 5000 }],
    ['', { waitMs: 5000 }],
    ['respond-async', { waitMs: 0, applied: 'respond-async' }],
    ['wait=10, respond-async', { waitMs: 0, applied: 'respond-async' }],
    ['wait=3', { waitMs: 3000, applied: 'wait=3' }],
    ['WAIT = 2', { waitMs: 2000, applied: 'wait=2' }],
    ['wait="4"', { waitMs: 4000, applied: 'wait=4' }],
    ['wait=0', { waitMs: 0, applied: 'wait=0' }],
    ['wait=600', { waitMs: 25000, applied: 'wait=25' }],
    ['wait=-1', { waitMs: 5000 }],
    ['wait=abc', { waitMs: 5000 }],
    ['wait=99999999999999999999', { waitMs: 5000 }],
    ['return=minimal', { waitMs: 5000 }],
  ])('%j -> %j', (header, expected) => {
    expect(parsePrefer(header, 5000, 25000)).toEqual(expected);
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts printable ASCII up to 255 characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey(' order-42 ')).toBe('order-42');
    expect(parseIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
  });

  it.each(['', '   ', 'k'.repeat(256), 'with space', 'naïve', 'tab\there'])('refuses %j, naming the header', (key) => {
    expect(() => parseIdempotencyKey(key)).toThrowError(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'Idempotency-Key' })] }),
    );
  });
});

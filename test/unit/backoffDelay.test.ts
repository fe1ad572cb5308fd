import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../functions/lib/broadcast/backoffDelay.ts';

describe('backoffDelay', () => {
  it('grows exponentially at the top of the jitter range', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 2, 900, top))).toEqual([2, 4, 8, 16]);
  });

  it('is full jitter: zero at the bottom of the range', () => {
    expect(backoffDelay(5, 2, 900, () => 0)).toBe(0);
  });

  it('never exceeds the cap, nor SQS’s 900 s', () => {
    expect(backoffDelay(30, 2, 60, () => 0.999999)).toBe(60);
    expect(backoffDelay(30, 2, 5000, () => 0.999999)).toBe(900);
  });

  it('spreads retries over the range', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelay(4, 2, 900, random)));
    expect(delays.size).toBeGreaterThan(10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(16);
  });
});

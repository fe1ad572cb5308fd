import { describe, expect, it } from 'vitest';
import { coalesceNonceAllocations } from '../../functions/lib/broadcast/coalesceNonceAllocations.ts';
import type { NonceStore } from '../../functions/lib/store/NonceStore.ts';

/** An in-memory counter per sender that records every update it is asked for. */
function fakeStore(options: { fail?: boolean } = {}) {
  const next = new Map<string, number>();
  const updates: Array<{ key: string; count: number }> = [];
  const store: NonceStore = {
    async allocate(chainId, from, seed, _now, count = 1) {
      const key = `${chainId}#${from}`;
      updates.push({ key, count });
      await Promise.resolve();
      if (options.fail) throw new Error('table unavailable');
      const first = next.get(key) ?? (await seed());
      next.set(key, first + count);
      return first;
    },
    raiseFloor: async () => undefined,
    counters: async () => [],
    readCounters: async () => [],
    holders: async () => [],
    createFiller: async (filler) => ({ filler, created: true }),
    findFiller: async () => undefined,
    replaceFiller: async () => false,
  };
  return { store, updates };
}

const seed = async () => 5;

describe('coalesceNonceAllocations', () => {
  it('gives the allocations of one tick consecutive nonces from one counter update, in call order', async () => {
    // prepare
    const { store, updates } = fakeStore();
    const nonces = coalesceNonceAllocations(store);
    // act
    const taken = await Promise.all(Array.from({ length: 7 }, () => nonces.allocate(1, '0xa', seed, 0)));
    // assess
    expect(taken).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(updates).toEqual([{ key: '1#0xa', count: 7 }]);
  });

  it('keeps senders and chains apart, and later ticks take the nonces after', async () => {
    const { store, updates } = fakeStore();
    const nonces = coalesceNonceAllocations(store);
    const first = await Promise.all([
      nonces.allocate(1, '0xa', seed, 0),
      nonces.allocate(1, '0xb', seed, 0),
      nonces.allocate(2, '0xa', seed, 0),
      nonces.allocate(1, '0xa', seed, 0),
    ]);
    const later = await nonces.allocate(1, '0xa', seed, 0);
    expect(first).toEqual([5, 5, 5, 6]);
    expect(later).toBe(7);
    expect(updates.map((u) => u.count)).toEqual([2, 1, 1, 1]);
  });

  it('fails every caller of a group whose update failed, and hands out nothing', async () => {
    const { store } = fakeStore({ fail: true });
    const nonces = coalesceNonceAllocations(store);
    const results = await Promise.allSettled([nonces.allocate(1, '0xa', seed, 0), nonces.allocate(1, '0xa', seed, 0)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

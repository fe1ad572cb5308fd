import type { NonceStore } from '../store/NonceStore.ts';
import { senderKeyOf } from '../store/tableDesign.ts';

type Waiter = { resolve: (nonce: number) => void; reject: (error: unknown) => void };
type Group = { chainId: number; from: string; seed: () => Promise<number>; now: number; waiters: Waiter[] };

/**
 * The same store, except that single allocations for one sender made in the same tick (the records
 * of a batch, signed side by side) take their nonces with one counter update: `next + k` hands out k
 * consecutive nonces atomically, one to each caller in call order. Each nonce still goes to exactly
 * one transaction; a failed update fails every caller of that group, as it would have failed each.
 */
export function coalesceNonceAllocations(nonces: NonceStore): NonceStore {
  const open = new Map<string, Group>();

  function flush(key: string, group: Group) {
    open.delete(key);
    const { chainId, from, seed, now, waiters } = group;
    nonces.allocate(chainId, from, seed, now, waiters.length).then(
      (first) => {
        waiters.forEach((w, i) => {
          w.resolve(first + i);
        });
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error);
      },
    );
  }

  return {
    ...nonces,
    allocate(chainId, from, seed, now, count = 1) {
      if (count !== 1) return nonces.allocate(chainId, from, seed, now, count);
      const key = senderKeyOf(chainId, from);
      return new Promise<number>((resolve, reject) => {
        let group = open.get(key);
        if (!group) {
          const created: Group = { chainId, from, seed, now, waiters: [] };
          open.set(key, created);
          setImmediate(() => flush(key, created));
          group = created;
        }
        group.waiters.push({ resolve, reject });
      });
    },
  };
}

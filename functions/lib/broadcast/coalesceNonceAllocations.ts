import { SignerFullError } from '../errors/errors.ts';
import type { NonceStore } from '../store/NonceStore.ts';
import { senderKeyOf } from '../store/tableDesign.ts';

type Waiter = { resolve: (nonce: number) => void; reject: (error: unknown) => void };
type Group = {
  chainId: number;
  from: string;
  seed: () => Promise<number>;
  now: number;
  limit: number | undefined;
  waiters: Waiter[];
};

/**
 * The same store, except that single allocations for one sender made in the same tick (the records
 * of a batch, signed side by side) take their nonces with one counter update: `next + k` hands out k
 * consecutive nonces atomically, one to each caller in call order. Each nonce still goes to exactly
 * one transaction; a failed update fails every caller of that group, as it would have failed each.
 * A group that would pass the sender's in-flight limit takes its nonces one at a time instead, in call
 * order, so those below the limit still get theirs and the rest are told the sender is full.
 */
export function coalesceNonceAllocations(nonces: NonceStore): NonceStore {
  const open = new Map<string, Group>();

  function flush(key: string, group: Group) {
    open.delete(key);
    const { chainId, from, seed, now, limit, waiters } = group;
    nonces.allocate(chainId, from, seed, now, waiters.length, limit).then(
      (first) => {
        waiters.forEach((w, i) => {
          w.resolve(first + i);
        });
      },
      async (error: unknown) => {
        if (!(error instanceof SignerFullError) || waiters.length === 1) {
          for (const w of waiters) w.reject(error);
          return;
        }
        for (const w of waiters) {
          await nonces.allocate(chainId, from, seed, now, 1, limit).then(w.resolve, w.reject);
        }
      },
    );
  }

  return {
    ...nonces,
    allocate(chainId, from, seed, now, count = 1, limit = undefined) {
      if (count !== 1) return nonces.allocate(chainId, from, seed, now, count, limit);
      // Callers with different limits (a newer read of the chain) do not share an update.
      const key = `${senderKeyOf(chainId, from)}#${limit ?? ''}`;
      return new Promise<number>((resolve, reject) => {
        let group = open.get(key);
        if (!group) {
          const created: Group = { chainId, from, seed, now, limit, waiters: [] };
          open.set(key, created);
          setImmediate(() => flush(key, created));
          group = created;
        }
        group.waiters.push({ resolve, reject });
      });
    },
  };
}

import { describe, expect, it } from 'vitest';
import type { ChainClient } from '../../functions/lib/chain/ChainRegistry.ts';
import { classifyRpcError } from '../../functions/lib/chain/classifyRpcError.ts';
import { createFeeCache } from '../../functions/lib/chain/createFeeCache.ts';

/** A node whose fee answers are scripted, one per call: fees, an error, or a hang of `ms`. */
function scriptedNode(script: Array<{ fee: bigint } | { fail: true } | { hangMs: number; fee: bigint }>) {
  let calls = 0;
  let answered = 0;
  const client = {
    async estimateFeesPerGas() {
      const step = script[calls++];
      if (!step) throw new Error('no more answers');
      if ('fail' in step) throw new Error('503 Service Unavailable');
      if ('hangMs' in step) await new Promise((resolve) => setTimeout(resolve, step.hangMs));
      answered++;
      return { maxFeePerGas: step.fee, maxPriorityFeePerGas: step.fee / 10n };
    },
  } as unknown as ChainClient;
  return { client, calls: () => calls, answered: () => answered };
}

describe('the fee cache', () => {
  const fallback = { timeoutMs: 50, lastKnownForMs: 1000 };

  it('answers a failed fetch with the last fees while they are recent, and fetches again on the next call', async () => {
    let t = 0;
    const node = scriptedNode([{ fee: 100n }, { fail: true }, { fee: 300n }]);
    const cache = createFeeCache(10, () => t, fallback);
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(100n);
    t = 20; // past the ttl
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(100n);
    // The fallen-back fees are not cached: the next call asks the node again.
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(300n);
    expect(node.calls()).toBe(3);
  });

  it('gives up on a fetch that hangs past its timeout, and keeps its fees when they land', async () => {
    let t = 0;
    const node = scriptedNode([{ fee: 100n }, { hangMs: 150, fee: 200n }, { fail: true }]);
    const cache = createFeeCache(10, () => t, fallback);
    await cache.get(1, node.client);
    t = 20;
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(100n);
    // Answered before the node did: the hung fetch was given up on, not waited for.
    expect(node.answered()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the hung answer lands
    t = 40;
    // The next fetch fails: the fees that landed late are the last known now.
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(200n);
  });

  it('fails when the last fees are too old, or there are none, and caches no failure', async () => {
    let t = 0;
    const node = scriptedNode([{ fail: true }, { fee: 100n }, { fail: true }, { fee: 500n }]);
    const cache = createFeeCache(10, () => t, fallback);
    await expect(cache.get(1, node.client)).rejects.toThrow('503');
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(100n);
    t = 2000; // the last fees are older than lastKnownForMs
    await expect(cache.get(1, node.client)).rejects.toThrow('503');
    expect((await cache.get(1, node.client)).maxFeePerGas).toBe(500n);
  });

  it('shares one fetch among concurrent callers, per chain', async () => {
    const node = scriptedNode([{ fee: 100n }, { fee: 900n }]);
    const cache = createFeeCache(1000, () => 0, fallback);
    const [a, b] = await Promise.all([cache.get(1, node.client), cache.get(1, node.client)]);
    expect([a.maxFeePerGas, b.maxFeePerGas]).toEqual([100n, 100n]);
    expect((await cache.get(2, node.client)).maxFeePerGas).toBe(900n);
    expect(node.calls()).toBe(2);
  });
});

describe('a fee fetch given up on', () => {
  it('is a transient failure, as the broadcaster classifies it (the attempt is retried, not failed)', async () => {
    const node = scriptedNode([{ hangMs: 200, fee: 1n }]);
    const cache = createFeeCache(10, () => 0, { timeoutMs: 20, lastKnownForMs: 1000 });
    const error = await cache.get(1, node.client).catch((e: unknown) => e);
    expect(classifyRpcError(error)).toMatchObject({ class: 'transient', label: 'timeout' });
  });
});

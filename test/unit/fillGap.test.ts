import { type Hex, parseTransaction } from 'viem';
import { describe, expect, it } from 'vitest';
import { fillGap } from '../../functions/lib/broadcast/fillGap.ts';
import { account, chainId, createBroadcastWorld, fees, settings } from './fakes/broadcastFakes.ts';

// The broadcaster's filling of a nonce gap the sweep found, and the re-pricing of a filler that holds
// up its sender: the transactions' rules (both fees at least 12.5% over and at least the market,
// within the cap, stored before sent), on one filler record per nonce.

const from = account.address;
const gwei = (n: number) => BigInt(n) * 1_000_000_000n;
const fill = (nonce: number, reprice?: string) => ({
  fill: { chainId, from, nonce, reason: 'test', ...(reprice ? { reprice } : {}) },
});
const feesOfRaw = (rawTx: string) => {
  const t = parseTransaction(rawTx as Hex);
  return { maxFeePerGas: t.maxFeePerGas, maxPriorityFeePerGas: t.maxPriorityFeePerGas, nonce: t.nonce, to: t.to };
};

describe('fillGap', () => {
  it('a gap of another signer is not ours to fill: nothing is signed, stored or sent', async () => {
    const world = createBroadcastWorld([]);
    const other = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const result = await fillGap(world.deps, { fill: { chainId, from: other, nonce: 3, reason: 'test' } });
    expect(result).toBeUndefined();
    expect(world.signer.requests).toEqual([]);
    expect(world.chain.sent).toEqual([]);
    expect(await world.deps.nonces.findFiller(chainId, other, 3)).toBeUndefined();
  });

  it('fills a nonce with a zero-value transfer to the sender, once: a repeat sends the same filler', async () => {
    const world = createBroadcastWorld([]);
    const first = await fillGap(world.deps, fill(3));
    const again = await fillGap(world.deps, fill(3));
    expect(first?.filler.txHash).toBe(again?.filler.txHash);
    expect(world.signer.requests).toHaveLength(1);
    expect(feesOfRaw(first?.filler.rawTx ?? '')).toMatchObject({ nonce: 3, to: from.toLowerCase() });
  });

  it('counts a filler sent once however many workers raced to make it, the same bytes each', async () => {
    // prepare: two deliveries of one fill at once, both before either stored; the dev key signs deterministically
    const world = createBroadcastWorld([]);
    const counted: number[] = [];
    const count = (name: string, n: number) => {
      if (name === 'fillers') counted.push(n);
    };
    world.deps.metrics = { count: count as NonNullable<typeof world.deps.metrics>['count'] };
    // act
    const [a, b] = await Promise.all([fillGap(world.deps, fill(3)), fillGap(world.deps, fill(3))]);
    // assess
    expect(a?.filler.txHash).toBe(b?.filler.txHash);
    expect(world.signer.requests).toHaveLength(2);
    expect(counted).toEqual([1]);
  });

  it('re-prices a filler the market passed: both fees 12.5% over its own at least, stored before it is sent', async () => {
    const world = createBroadcastWorld([]);
    const made = await fillGap(world.deps, fill(3));
    const old = feesOfRaw(made?.filler.rawTx ?? '');
    // The market now asks more than the filler offers (it was signed at twice the market's fees).
    world.deps.fees = { get: async () => ({ maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(3) }) };
    // What the record held the first time each new bytes reached the node.
    const storedWhenSent = new Map<string, string | undefined>();
    world.chain.beforeSend = (raw) => {
      if (raw === made?.filler.rawTx || storedWhenSent.has(raw)) return;
      storedWhenSent.set(raw, undefined);
      void world.deps.nonces.findFiller(chainId, from, 3).then((f) => storedWhenSent.set(raw, f?.rawTx));
    };
    const result = await fillGap(world.deps, fill(3, made?.filler.txHash));
    const now = await world.deps.nonces.findFiller(chainId, from, 3);
    if (!now || !old.maxFeePerGas || !old.maxPriorityFeePerGas) throw new Error('no filler');
    const next = feesOfRaw(now.rawTx);
    expect(now.txHash).not.toBe(made?.filler.txHash);
    expect(now.previous).toEqual([made?.filler.txHash]);
    expect(next).toMatchObject({ nonce: 3, to: from.toLowerCase(), maxFeePerGas: gwei(40) });
    expect(next.maxPriorityFeePerGas).toBeGreaterThanOrEqual((old.maxPriorityFeePerGas * 1125n) / 1000n);
    expect(result?.filler.txHash).toBe(now.txHash);
    expect(world.chain.sent.at(-1)).toBe(now.rawTx);
    await Promise.resolve();
    expect(storedWhenSent.get(now.rawTx), 'the record held the new filler when its bytes were sent').toBe(now.rawTx);
  });

  it('an old re-price request (another replaced the filler) and a market not above it sign nothing', async () => {
    const world = createBroadcastWorld([]);
    const made = await fillGap(world.deps, fill(3));
    await fillGap(world.deps, fill(3, '0xnot-the-latest'));
    await fillGap(world.deps, fill(3, made?.filler.txHash));
    expect(world.signer.requests).toHaveLength(1);
    expect(world.chain.sent.every((raw) => raw === made?.filler.rawTx)).toBe(true);
    expect(fees.maxFeePerGas).toBeLessThan(feesOfRaw(made?.filler.rawTx ?? '').maxFeePerGas ?? 0n);
  });

  it('at the fee cap a filler is sent again as it is, never signed above the cap', async () => {
    const world = createBroadcastWorld([]);
    const made = await fillGap(world.deps, fill(3));
    const old = feesOfRaw(made?.filler.rawTx ?? '').maxFeePerGas ?? 0n;
    world.deps.fees = { get: async () => ({ maxFeePerGas: gwei(500), maxPriorityFeePerGas: gwei(3) }) };
    world.deps.settings = { ...settings, feeCapWei: () => old };
    await fillGap(world.deps, fill(3, made?.filler.txHash));
    expect(world.signer.requests).toHaveLength(1);
    expect((await world.deps.nonces.findFiller(chainId, from, 3))?.txHash).toBe(made?.filler.txHash);
    expect(world.chain.sent.at(-1)).toBe(made?.filler.rawTx);
  });
});

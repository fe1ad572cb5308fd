import { keccak256, parseTransaction, recoverTransactionAddress, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { broadcastTransaction } from '../../functions/lib/broadcast/broadcastTransaction.ts';
import type { Signer } from '../../functions/lib/chain/Signer.ts';
import { chooseSigner, type SignerState } from '../../functions/lib/signers/signerStates.ts';
import { wakeWaiting } from '../../functions/lib/signers/wakeWaiting.ts';
import {
  account,
  createBroadcastWorld,
  createFakeChain,
  createRecordingQueue,
  pendingTransaction,
  silentLogger,
} from './fakes/broadcastFakes.ts';

const second = privateKeyToAccount(keccak256(toHex('second signer')));
const third = privateKeyToAccount(keccak256(toHex('third signer')));
const asSigner = (a: typeof second): Signer => ({ address: a.address, signTransaction: (tx) => a.signTransaction(tx) });
const pending = (n: number, over = {}) =>
  Array.from({ length: n }, (_, i) => pendingTransaction({ id: `tx-${i + 1}`, ...over }));
const senderOf = async (raw: string | undefined) =>
  recoverTransactionAddress({ serializedTransaction: raw as `0x02${string}` });

const state = (over: Partial<SignerState>): SignerState => ({
  chainId: 31337,
  address: '0xa',
  next: 0,
  mined: 0,
  inFlight: 0,
  cap: 16,
  balance: 10n,
  healthy: true,
  ...over,
});

describe('chooseSigner', () => {
  it('takes the healthy signer with room and the fewest unmined, whatever the order', () => {
    const states = [
      state({ address: '0xa', inFlight: 5 }),
      state({ address: '0xb', inFlight: 2 }),
      state({ address: '0xc', inFlight: 0, healthy: false, why: 'its balance is low' }),
      state({ address: '0xd', inFlight: 16 }),
    ];
    expect(chooseSigner(states)).toEqual({ chosen: states[1] });
  });

  it('among those with the fewest in flight, takes the one that has sent the fewest', () => {
    const states = [
      state({ address: '0xa', next: 40 }),
      state({ address: '0xb', next: 12 }),
      state({ address: '0xc', next: 30 }),
    ];
    expect(chooseSigner(states, () => 0)).toEqual({ chosen: states[1] });
  });

  it('breaks the remaining ties at random, so processes that read the same states spread', () => {
    const states = [state({ address: '0xa' }), state({ address: '0xb' })];
    expect(chooseSigner(states, () => 0)).toEqual({ chosen: states[0] });
    expect(chooseSigner(states, () => 0.99)).toEqual({ chosen: states[1] });
  });

  it('says why none can take one, signer by signer', () => {
    const none = chooseSigner([
      state({ address: '0xa', inFlight: 16 }),
      state({ address: '0xb', healthy: false, why: 'its balance 1 wei is below LOW_BALANCE_WEI 5' }),
    ]);
    expect(none).toEqual({
      none: 'waiting for a signer: 0xa holds 16 unmined (the most it may); 0xb: its balance 1 wei is below LOW_BALANCE_WEI 5',
    });
  });
});

describe('a pool of signers in the broadcaster', () => {
  it('spreads transactions over the pool, stores each one’s signer before its nonce, and keeps each sender’s nonces consecutive', async () => {
    const world = createBroadcastWorld(pending(9), { extraSigners: [asSigner(second), asSigner(third)] });
    for (let i = 1; i <= 9; i++) await broadcastTransaction(world.deps, { id: `tx-${i}`, attempt: 1 });
    const bySender = new Map<string, number[]>();
    for (let i = 1; i <= 9; i++) {
      const stored = world.store.record(`tx-${i}`);
      const sender = await senderOf(stored?.rawTx);
      expect(stored?.from).toBe(sender);
      bySender.set(sender, [...(bySender.get(sender) ?? []), stored?.nonce as number]);
    }
    // Each signed three, nonces 7, 8, 9 of its own: the chain's fake answers 7 for every account.
    expect([...bySender.keys()].sort()).toEqual([account.address, second.address, third.address].sort());
    for (const nonces of bySender.values()) expect(nonces).toEqual([7, 8, 9]);
  });

  it('signs with the signer the request named, even when others have less in flight', async () => {
    const world = createBroadcastWorld(pending(3, { from: second.address }), { extraSigners: [asSigner(second)] });
    for (let i = 1; i <= 3; i++) await broadcastTransaction(world.deps, { id: `tx-${i}`, attempt: 1 });
    for (let i = 1; i <= 3; i++) {
      expect(await senderOf(world.store.record(`tx-${i}`)?.rawTx)).toBe(second.address);
    }
  });

  it('fails a transaction bound to an address outside the pool, naming the pool, and signs nothing', async () => {
    const world = createBroadcastWorld([pendingTransaction({ from: third.address })]);
    const response = await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 });
    expect(response).toMatchObject({ status: 'failed' });
    expect(response?.error).toContain(
      `from ${third.address} is not a signer of this deployment (its signers: ${account.address})`,
    );
    expect(world.signer.requests).toEqual([]);
    expect(world.nonces.calls.allocate).toEqual([]);
  });

  it('gives an unhealthy signer no new transaction while the others carry on', async () => {
    const chain = createFakeChain({ latest: 7, pending: 7 });
    chain.balances.set(account.address.toLowerCase(), 10n);
    const world = createBroadcastWorld(pending(4), { chain, lowBalanceWei: 1000n, extraSigners: [asSigner(second)] });
    for (let i = 1; i <= 4; i++) await broadcastTransaction(world.deps, { id: `tx-${i}`, attempt: 1 });
    for (let i = 1; i <= 4; i++) expect(world.store.record(`tx-${i}`)?.from).toBe(second.address);
  });
});

describe('the in-flight cap', () => {
  it('parks the transaction that finds every signer full: pending, unsigned, no nonce, no worker held, no report', async () => {
    const world = createBroadcastWorld(pending(3), { maxInFlight: 2 });
    await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 });
    await broadcastTransaction(world.deps, { id: 'tx-2', attempt: 1 });
    world.responses.sent.length = 0;
    const third = await broadcastTransaction(world.deps, { id: 'tx-3', attempt: 1 });
    expect(third).toBeUndefined();
    expect(world.responses.sent).toEqual([]);
    const parked = world.store.record('tx-3');
    expect(parked).toMatchObject({ status: 'pending', waitChain: '31337' });
    expect(parked?.message).toBe(`waiting for a signer: ${account.address} holds 2 unmined (the most it may)`);
    expect(parked?.waiting?.reason).toBe(parked?.message);
    expect(parked?.rawTx).toBeUndefined();
    expect(parked?.nonce).toBeUndefined();
    expect(parked?.leaseToken).toBeUndefined();
    expect(world.nonces.calls.allocate.map((a) => a.nonce)).toEqual([7, 8]);
    expect(world.retries.sent).toEqual([]);
  });

  it('wakes the oldest waiter once a transaction is mined, and it signs the next nonce', async () => {
    const world = createBroadcastWorld(pending(4), { maxInFlight: 2 });
    for (let i = 1; i <= 4; i++) await broadcastTransaction(world.deps, { id: `tx-${i}`, attempt: 1 });
    expect(world.store.record('tx-3')?.waitChain).toBe('31337');
    world.chain.latest = 8; // nonce 7 was mined
    const requests = createRecordingQueue();
    const wakeDeps = { waiting: world.store.waiting, requests: requests.queue, logger: silentLogger() };
    expect(await wakeWaiting(wakeDeps, 31337, account.address, 'unread')).toBe(1);
    expect(requests.sent.map((s) => s.body)).toEqual([{ id: 'tx-3', attempt: 1, phase: 'broadcast' }]);
    // A second waker of the same freed room finds tx-3 taken and wakes the next one, never tx-3 twice.
    expect(await wakeWaiting(wakeDeps, 31337, account.address, 'unread')).toBe(1);
    expect(requests.sent.map((s) => (s.body as { id: string }).id)).toEqual(['tx-3', 'tx-4']);
    const response = await broadcastTransaction(world.deps, { id: 'tx-3', attempt: 1 });
    expect(response).toMatchObject({ status: 'success' });
    const signed = world.store.record('tx-3');
    expect(signed).toMatchObject({ nonce: 9 });
    expect(signed?.waiting).toBeUndefined();
    expect(signed?.waitChain).toBeUndefined();
    expect(parseTransaction(signed?.rawTx as `0x02${string}`).nonce).toBe(9);
    // tx-4 finds the room taken again: it waits again, in its place in the line (before one that came later).
    const firstWait = world.store.record('tx-4')?.waiting?.since;
    world.clock.advance(5000);
    expect(await broadcastTransaction(world.deps, { id: 'tx-4', attempt: 1 })).toBeUndefined();
    expect(world.store.record('tx-4')?.waitChain).toBe('31337');
    expect(world.store.record('tx-4')?.waiting?.since).toBe(firstWait);
    const line: string[] = [];
    for await (const w of world.store.waiting.line(31337)) line.push(w.id);
    expect(line).toEqual(['tx-4']);
  });

  it('states read earlier that count it full are read again before it waits: what was mined since gives it room', async () => {
    const world = createBroadcastWorld(pending(3), { maxInFlight: 2, loadTtlMs: 60_000 });
    await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 });
    await broadcastTransaction(world.deps, { id: 'tx-2', attempt: 1 });
    world.chain.latest = 8; // nonce 7 mined; the states read for tx-1 still say two in flight
    expect(await broadcastTransaction(world.deps, { id: 'tx-3', attempt: 1 })).toMatchObject({ status: 'success' });
    expect(world.store.record('tx-3')).toMatchObject({ nonce: 9 });
  });

  it('a signer that frees while the transaction parks: it takes itself out of the line and goes to the retry queue', async () => {
    const world = createBroadcastWorld(pending(2), { maxInFlight: 1 });
    await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 });
    const park = world.deps.transactions.park;
    world.deps.transactions.park = async (...args) => {
      const parked = await park(...args);
      world.chain.latest = 8; // nonce 7 mined just as it parked: the wake found nobody in the line
      return parked;
    };
    expect(await broadcastTransaction(world.deps, { id: 'tx-2', attempt: 1 })).toBeUndefined();
    expect(world.retries.sent.map((s) => s.body)).toEqual([{ id: 'tx-2', attempt: 1, phase: 'broadcast' }]);
    expect(world.store.record('tx-2')?.waitChain).toBeUndefined();
  });

  it('a chosen signer that another worker filled first is let go, and another of the pool signs it', async () => {
    const world = createBroadcastWorld([pendingTransaction()], {
      maxInFlight: 2,
      extraSigners: [asSigner(second)],
      counters: [{ chainId: 31337, from: account.address, next: 7, allocatedAt: 0 }],
    });
    world.deps.random = () => 0; // the dev account first among equals (both have sent nothing)
    const allocate = world.deps.nonces.allocate;
    let raced = false;
    world.deps.nonces.allocate = async (chainId, from, seed, now, count, limit) => {
      if (!raced && from === account.address) {
        raced = true;
        // Another process takes the dev account's last two nonces between this one's read and its update.
        await allocate(chainId, from, seed, now, 2);
      }
      return allocate(chainId, from, seed, now, count, limit);
    };
    const response = await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 });
    expect(response).toMatchObject({ status: 'success' });
    const stored = world.store.record('tx-1');
    expect(stored?.from).toBe(second.address);
    expect(await senderOf(stored?.rawTx)).toBe(second.address);
  });

  it('a nonce reserved by an earlier attempt keeps its signer and that nonce, full or not', async () => {
    const world = createBroadcastWorld([pendingTransaction({ from: account.address, nonce: 7 })], { maxInFlight: 1 });
    world.chain.latest = 0; // far behind: by the counts the signer is over its cap
    const response = await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 });
    expect(response).toMatchObject({ status: 'success' });
    expect(world.store.record('tx-1')).toMatchObject({ nonce: 7, from: account.address });
    expect(world.nonces.calls.allocate).toEqual([]);
  });
});

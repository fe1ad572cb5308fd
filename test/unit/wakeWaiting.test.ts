import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { broadcastTransaction } from '../../functions/lib/broadcast/broadcastTransaction.ts';
import type { Signer } from '../../functions/lib/chain/Signer.ts';
import { wakeWaiting } from '../../functions/lib/signers/wakeWaiting.ts';
import { trackTransaction } from '../../functions/lib/tracker/trackTransaction.ts';
import type { ResponseMessage } from '../../functions/lib/transactions/messages.ts';
import {
  account,
  createBroadcastWorld,
  createRecordingQueue,
  pendingTransaction,
  silentLogger,
} from './fakes/broadcastFakes.ts';
import { createFakeNode, createTrackWorld, trackedTransaction } from './fakes/trackFakes.ts';

const second = privateKeyToAccount(keccak256(toHex('second signer')));
const asSigner = (a: typeof second): Signer => ({ address: a.address, signTransaction: (tx) => a.signTransaction(tx) });

describe('waking a transaction that waits for a signer', () => {
  it('a waiter bound to a full signer at the head of the line is passed over: the room another signer freed goes to one it can sign', async () => {
    // Two signers, a cap of 1 each. tx-1 names the dev account, tx-2 names the second: both full.
    const world = createBroadcastWorld(
      [
        pendingTransaction({ id: 'tx-1', from: account.address }),
        pendingTransaction({ id: 'tx-2', from: second.address }),
        pendingTransaction({ id: 'tx-3', from: account.address }), // waits for the dev account only
        pendingTransaction({ id: 'tx-4' }), // waits for any signer
      ],
      { maxInFlight: 1, extraSigners: [asSigner(second)] },
    );
    for (const id of ['tx-1', 'tx-2']) {
      expect(await broadcastTransaction(world.deps, { id, attempt: 1 })).toMatchObject({ status: 'success' });
    }
    expect(await broadcastTransaction(world.deps, { id: 'tx-3', attempt: 1 })).toBeUndefined();
    world.clock.advance(1000);
    expect(await broadcastTransaction(world.deps, { id: 'tx-4', attempt: 1 })).toBeUndefined();
    // Each park is counted on the chain's line marker, so the wakes know to read the line.
    expect(world.store.markers.get(31337)?.parked).toBe(2);
    // The second signer's tx-2 is mined: it has room. Its mined report wakes the oldest waiter...
    const chainCounts = world.chain.client.getTransactionCount;
    world.chain.client.getTransactionCount = (async (args: { address: `0x${string}`; blockTag?: string }) =>
      args.address.toLowerCase() === second.address.toLowerCase() && args.blockTag === 'latest'
        ? 8
        : chainCounts(args as never)) as typeof chainCounts;
    const requests = createRecordingQueue();
    const wakeDeps = { waiting: world.store.waiting, requests: requests.queue, logger: silentLogger() };
    await wakeWaiting(wakeDeps, 31337, second.address, 'unread');
    for (const sent of requests.sent)
      await broadcastTransaction(world.deps, sent.body as { id: string; attempt: number });
    // ...that the second signer can sign: tx-3, which named the dev account (still full), is left in its
    // place for the dev account's wake, and tx-4 is signed by the second signer.
    expect(requests.sent.map((s) => (s.body as { id: string }).id)).toEqual(['tx-4']);
    expect(world.store.record('tx-3')?.waitChain).toBe('31337');
    expect(world.store.record('tx-4')?.from).toBe(second.address);
    expect(world.store.record('tx-4')?.rawTx).toBeDefined();
  });

  it('the tracker wakes a waiter of the signer at its first report that the nonce is used, not at a later one', async () => {
    // Its look one block after success finds the receipt already at depth 2 (mined in block 10, head 11):
    // confirmed straight from success, no mined first.
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10);
    const track = createTrackWorld([tx], { node, depth: 2 });
    const woken: Array<[number, string | undefined]> = [];
    track.deps.wake = async (chainId, from) => void woken.push([chainId, from]);
    await trackTransaction(track.deps, { id: 'tx-1', token: 'token-1' });
    expect(track.responses.sent.map((s) => (s.body as ResponseMessage).status)).toEqual(['confirmed']);
    expect(woken).toEqual([[31337, tx.from]]);
    // A look at one recorded mined already (its room was freed when it was first seen): no second wake.
    const minedOne = { ...tx, status: 'mined' as const, trackToken: 'token-2' };
    const later = createTrackWorld([minedOne], { node, depth: 2 });
    later.deps.wake = async (chainId, from) => void woken.push([chainId, from]);
    await trackTransaction(later.deps, { id: 'tx-1', token: 'token-2' });
    expect(later.responses.sent.map((s) => (s.body as ResponseMessage).status)).toEqual(['confirmed']);
    expect(woken).toHaveLength(1);
  });

  it('a look that names its chain reads the line marker with the record and hands it to the wake; one that does not, reads the record alone', async () => {
    // prepare
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10);
    const marker = { parked: 4, parkedAt: 1_000, drained: 4 };
    const named = createTrackWorld([tx], { node, depth: 2 });
    named.line.marker = marker;
    const lines: unknown[] = [];
    named.deps.wake = async (_chainId, _from, line) => void lines.push(line);
    const unnamed = createTrackWorld([tx], { node, depth: 2 });
    unnamed.line.marker = marker;
    unnamed.deps.wake = async (_chainId, _from, line) => void lines.push(line);
    // act
    await trackTransaction(named.deps, { id: 'tx-1', chainId: 31337, token: 'token-1' });
    await trackTransaction(unnamed.deps, { id: 'tx-1', token: 'token-1' });
    // assess
    expect(named.reads).toEqual(['tx-1+line#31337']);
    expect(unnamed.reads).toEqual(['tx-1']);
    expect(lines).toEqual([marker, 'unread']);
  });

  it('its next look names the chain only while the record is success (only such a look can wake)', async () => {
    // prepare: no receipt yet, so each look looks again
    const { tx } = await trackedTransaction();
    const atSuccess = createTrackWorld([tx], { node: createFakeNode({ head: 11 }) });
    const mined = createTrackWorld([{ ...tx, status: 'mined' as const }], { node: createFakeNode({ head: 11 }) });
    // act
    await trackTransaction(atSuccess.deps, { id: 'tx-1', chainId: 31337, token: 'token-1' });
    await trackTransaction(mined.deps, { id: 'tx-1', token: 'token-1' });
    // assess
    expect(atSuccess.tracking.sent.map((s) => (s.body as { chainId?: number }).chainId)).toEqual([31337]);
    expect(mined.tracking.sent.map((s) => (s.body as { chainId?: number }).chainId)).toEqual([undefined]);
  });

  it('a wake that fails does not fail the look: its report is sent, and the sweep re-enqueues the waiters', async () => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10);
    const track = createTrackWorld([tx], { node, depth: 2 });
    track.deps.wake = async () => {
      throw new Error('the waiting index is missing');
    };
    expect(await trackTransaction(track.deps, { id: 'tx-1', token: 'token-1' })).toMatchObject({ action: 'reported' });
    expect(track.responses.sent).toHaveLength(1);
  });
});

describe('a chosen signer after a failed nonce allocation', () => {
  it('a signer chosen (not named) whose allocate failed transiently is not kept: the retry may use another with room', async () => {
    const world = createBroadcastWorld(
      [pendingTransaction({ id: 'tx-1' }), pendingTransaction({ id: 'tx-2', from: account.address })],
      { maxInFlight: 1, extraSigners: [asSigner(second)] },
    );
    world.deps.random = () => 0; // the dev account first among equals
    const allocate = world.deps.nonces.allocate;
    let failOnce = true;
    world.deps.nonces.allocate = async (...args) => {
      if (failOnce) {
        failOnce = false;
        throw Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }); // the seed's RPC call, or DynamoDB
      }
      return allocate(...args);
    };
    expect(await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 1 })).toMatchObject({ status: 'retrying' });
    // No nonce was taken: the choice is let go, so the next attempt chooses again.
    expect(world.store.record('tx-1')?.from).toBeUndefined();
    expect(world.store.record('tx-1')?.nonce).toBeUndefined();
    // The dev account fills up meanwhile (tx-2 names it); the second signer holds nothing.
    expect(await broadcastTransaction(world.deps, { id: 'tx-2', attempt: 1 })).toMatchObject({ status: 'success' });
    const retried = await broadcastTransaction(world.deps, { id: 'tx-1', attempt: 2 });
    expect(world.store.record('tx-1')?.message).not.toContain(`waiting for its signer ${account.address}`);
    expect(retried).toMatchObject({ status: 'success' });
  });
});

describe('concurrent wakes', () => {
  it('ten transactions mined in one block (ten concurrent wakes) wake ten of twelve waiters', async () => {
    const { createFakeTransactions } = await import('./fakes/broadcastFakes.ts');
    const waiters = Array.from({ length: 12 }, (_, i) => pendingTransaction({ id: `w-${i + 1}` }));
    const store = createFakeTransactions(waiters);
    for (const [i, w] of waiters.entries())
      Object.assign(store.record(w.id) ?? {}, { waitChain: '31337', waitSince: i });
    const requests = createRecordingQueue();
    const wakeDeps = { waiting: store.waiting, requests: requests.queue, logger: silentLogger() };
    // The updater runs a batch's records side by side (processInParallel), and several batches at once.
    const sent = await Promise.all(Array.from({ length: 10 }, () => wakeWaiting(wakeDeps, 31337, undefined, 'unread')));
    expect(
      sent.reduce((a, b) => a + b, 0),
      'each freed room should wake one waiter',
    ).toBe(10);
  });
});

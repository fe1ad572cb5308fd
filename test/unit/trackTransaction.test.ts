import { describe, expect, it } from 'vitest';
import { readReceipt } from '../../functions/lib/tracker/readReceipt.ts';
import { trackTransaction } from '../../functions/lib/tracker/trackTransaction.ts';
import type { Receipt } from '../../functions/lib/transactions/model.ts';
import { pendingTransaction } from './fakes/broadcastFakes.ts';
import { blockHash, createFakeNode, createTrackWorld, trackedTransaction } from './fakes/trackFakes.ts';

const id = 'tx-1';
const token = 'token-1';
const at = '2025-01-01T00:01:00.000Z';

/** The receipt the tracker reports for `txHash` in canonical block `blockNumber`. */
const receiptOf = (
  txHash: string,
  blockNumber: number,
  confirmations: number,
  status: Receipt['status'] = 'success',
): Receipt => ({
  status,
  txHash,
  blockNumber,
  blockHash: blockHash(blockNumber),
  gasUsed: '21000',
  effectiveGasPrice: '1000000007',
  confirmations,
});

describe('trackTransaction: a receipt from a canonical block', () => {
  it('at depth with status 1 reports confirmed with the receipt, and looks no more', async () => {
    // prepare: mined in block 10, head 11: two confirmations, the depth
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    // act
    const result = await trackTransaction(world.deps, { id, token });
    // assess
    expect(result).toEqual({ action: 'reported', status: 'confirmed', next: false });
    expect(world.responses.sent).toEqual([
      {
        body: {
          id,
          attempt: 1,
          at,
          status: 'confirmed',
          receipt: receiptOf(txHash, 10, 2),
          txHash,
          message: expect.stringContaining('block 10'),
        },
        delaySeconds: undefined,
      },
    ]);
    expect(world.tracking.sent).toEqual([]);
    expect(node.sent).toEqual([]);
  });

  it('at depth with status 0 reports reverted with the receipt, and looks no more', async () => {
    const { tx, txHash } = await trackedTransaction({ status: 'mined' });
    const node = createFakeNode({ head: 12 });
    node.mine(txHash, 10, 'reverted');
    const world = createTrackWorld([tx], { node, depth: 2 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'reverted', next: false });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({ status: 'reverted', receipt: receiptOf(txHash, 10, 3, 'reverted'), txHash }),
    ]);
    expect(world.tracking.sent).toEqual([]);
  });

  it('short of depth, from success, reports mined and looks again after the interval', async () => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 10 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2, intervalSeconds: 5 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'mined', next: true });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({ id, status: 'mined', receipt: receiptOf(txHash, 10, 1), txHash }),
    ]);
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 0 }, delaySeconds: 5 }]);
  });

  it('already mined in the same block reports nothing and looks again', async () => {
    const { tx, txHash } = await trackedTransaction({ status: 'mined' });
    tx.receipt = receiptOf(txHash, 10, 1);
    const node = createFakeNode({ head: 10 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 3, intervalSeconds: 4 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'waiting', misses: 0 });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 0 }, delaySeconds: 4 }]);
  });

  it('mined in another block than the one recorded (it moved in a reorg) reports mined again', async () => {
    const { tx, txHash } = await trackedTransaction({ status: 'mined' });
    tx.receipt = { ...receiptOf(txHash, 9, 1), blockHash: blockHash(9, 'old') };
    const node = createFakeNode({ head: 10 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 3 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'mined', next: true });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({ status: 'mined', receipt: receiptOf(txHash, 10, 1) }),
    ]);
  });

  it('an older signature that was mined counts: any of its hashes may be the one', async () => {
    const { tx, txHash, olderHash } = await trackedTransaction({}, { older: true });
    const node = createFakeNode({ head: 11 });
    node.mine(olderHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'confirmed', next: false });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({ status: 'confirmed', receipt: receiptOf(olderHash, 10, 2), txHash: olderHash }),
    ]);
    expect(olderHash).not.toBe(txHash);
  });

  it('a receipt whose block is no longer the chain block at that height counts as none', async () => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 12 });
    node.mine(txHash, 10);
    node.reorg(10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 1 }, delaySeconds: 5 }]);
  });
});

describe('trackTransaction: no receipt', () => {
  it('once decides nothing: it looks again with misses 1, reports nothing, sends nothing', async () => {
    const { tx } = await trackedTransaction({ status: 'mined' });
    const node = createFakeNode({ latestNonce: 8 });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 1 }, delaySeconds: 5 }]);
    expect(node.sent).toEqual([]);
  });

  it('twice while mined: a reorg took its block; it reports success with reorged and sends the stored bytes again', async () => {
    const { tx, txHash, rawTx } = await trackedTransaction({ status: 'mined' });
    tx.receipt = receiptOf(txHash, 10, 1);
    const node = createFakeNode({ head: 11 });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result).toEqual({ action: 'reported', status: 'success', next: true });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({
        id,
        status: 'success',
        reorged: true,
        blockNumber: 10,
        txHash,
        message: expect.stringContaining('10'),
      }),
    ]);
    expect(node.sent).toEqual([rawTx]);
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 0 }, delaySeconds: 5 }]);
  });

  it('the sender past our nonce with none of ours in a block, on one look: nothing decided, one more look', async () => {
    const { tx } = await trackedTransaction();
    const node = createFakeNode({ latestNonce: 8 });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent.map((s) => s.body)).toEqual([{ id, token, misses: 1, nonceTaken: true }]);
  });

  it('twice while success, the sender past our nonce on two looks in a row: failed with tracked, and no next look', async () => {
    const { tx } = await trackedTransaction();
    const node = createFakeNode({ latestNonce: 8 });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1, nonceTaken: true });
    expect(result).toEqual({ action: 'reported', status: 'failed', next: false });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({
        id,
        status: 'failed',
        tracked: true,
        error: 'nonce 7 was used by another transaction',
      }),
    ]);
    expect(world.tracking.sent).toEqual([]);
    expect(node.sent).toEqual([]);
  });

  it('twice while success, the sender past our nonce because one of its signatures was mined just now: not failed', async () => {
    // The receipts were read (none), then the block with an older signature came before the nonce count.
    const { tx, olderHash } = await trackedTransaction({}, { older: true });
    const node = createFakeNode({ head: 11, latestNonce: 7 });
    node.onCount = () => {
      node.mine(olderHash, 11);
      node.latestNonce = 8;
    };
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result.action).toBe('waiting');
    expect(world.responses.sent).toEqual([]);
    // The next look reads the receipt; nothing is sent again for a nonce one of its signatures holds.
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 1 }, delaySeconds: 5 }]);
    expect(node.sent).toEqual([]);
  });

  it('twice while success, its nonce open and the node no longer pooling it: the stored bytes go again, then a look', async () => {
    const { tx, rawTx } = await trackedTransaction();
    const node = createFakeNode({ latestNonce: 7 });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result.action).toBe('waiting');
    expect(world.responses.sent).toEqual([]);
    expect(node.sent).toEqual([rawTx]);
    expect(world.tracking.sent).toHaveLength(1);
    expect(world.tracking.sent[0]).toMatchObject({ body: { id, token }, delaySeconds: 5 });
  });

  it('twice while success, its nonce open and still in the pool: nothing is sent, it looks again', async () => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ latestNonce: 7 });
    node.pool.add(txHash);
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result.action).toBe('waiting');
    expect(world.responses.sent).toEqual([]);
    expect(node.sent).toEqual([]);
    expect(world.tracking.sent).toHaveLength(1);
  });
});

describe('trackTransaction: what it does not follow', () => {
  it('a token that is not the record one stops: nothing is read from the chain, nothing sent', async () => {
    const { tx, txHash } = await trackedTransaction({ trackToken: 'token-2' });
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token: 'token-1' });
    expect(result).toMatchObject({ action: 'stopped' });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent).toEqual([]);
    expect(node.calls).toEqual([]);
  });

  it.each(['confirmed', 'reverted', 'failed', 'pending', 'retrying'] as const)(
    'a %s transaction stops',
    async (status) => {
      const { tx, txHash } = await trackedTransaction({ status });
      const node = createFakeNode({ head: 11 });
      node.mine(txHash, 10);
      const world = createTrackWorld([tx], { node });
      const result = await trackTransaction(world.deps, { id, token });
      expect(result).toEqual({ action: 'stopped', why: `it is ${status}` });
      expect(world.responses.sent).toEqual([]);
      expect(world.tracking.sent).toEqual([]);
      expect(node.calls).toEqual([]);
    },
  );

  it('an unknown id stops', async () => {
    const world = createTrackWorld([pendingTransaction({ id: 'other' })]);
    expect(await trackTransaction(world.deps, { id, token })).toEqual({ action: 'stopped', why: 'unknown id' });
    expect(world.tracking.sent).toEqual([]);
  });
});

describe('trackTransaction: a chain that does not answer', () => {
  it('reports nothing and looks again, keeping the misses counted so far', async () => {
    const { tx } = await trackedTransaction({ status: 'mined' });
    const node = createFakeNode();
    node.down = new Error('connect ECONNREFUSED');
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent).toEqual([{ body: { id, token, misses: 1 }, delaySeconds: 5 }]);
  });

  it('when it fails at the nonce count, it decides nothing and looks again', async () => {
    const { tx } = await trackedTransaction();
    const node = createFakeNode({ latestNonce: 8 });
    const world = createTrackWorld([tx], { node });
    // The receipt lookups answer (none); the nonce count does not.
    node.countDown = new Error('timeout');
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result.action).toBe('waiting');
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent).toHaveLength(1);
  });
});

describe('readReceipt', () => {
  it('counts the confirmations from its block to the head, both included', async () => {
    const { txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 14 });
    node.mine(txHash, 10);
    expect(await readReceipt(node.client, txHash)).toEqual(receiptOf(txHash, 10, 5));
  });

  it('is none when the node has no receipt, moved when its block is not the canonical one', async () => {
    const { txHash, olderHash } = await trackedTransaction({}, { older: true });
    const node = createFakeNode({ head: 12 });
    node.mine(txHash, 10);
    node.reorg(10);
    expect(await readReceipt(node.client, olderHash)).toBe('none');
    expect(await readReceipt(node.client, txHash)).toBe('moved');
  });
});

import { encodeErrorResult } from 'viem';
import { describe, expect, it } from 'vitest';
import { readReceipt } from '../../functions/lib/tracker/readReceipt.ts';
import { trackTransaction } from '../../functions/lib/tracker/trackTransaction.ts';
import {
  type Receipt,
  type SignatureRecord,
  type Transaction,
  toView,
} from '../../functions/lib/transactions/model.ts';
import { account, chainId, fees, pendingTransaction, signedBytes } from './fakes/broadcastFakes.ts';
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
          chainId,
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

  it('short of depth, from success, reports mined, and leaves its next look to the updater', async () => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 10 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2, intervalSeconds: 5 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'mined', next: true });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({ id, status: 'mined', receipt: receiptOf(txHash, 10, 1), txHash }),
    ]);
    // The updater starts the next look once it applied the report: a look delivered twice cannot fork.
    expect(world.tracking.sent).toEqual([]);
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
    expect(world.tracking.sent).toEqual([{ body: { id, chainId, token, misses: 1 }, delaySeconds: 5 }]);
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
    expect(world.tracking.sent).toEqual([]);
  });

  it('the sender past our nonce with none of ours in a block, on one look: nothing decided, one more look', async () => {
    const { tx } = await trackedTransaction();
    const node = createFakeNode({ latestNonce: 8 });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.responses.sent).toEqual([]);
    expect(world.tracking.sent.map((s) => s.body)).toEqual([{ id, chainId, token, misses: 1, nonceTaken: true }]);
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
    expect(world.tracking.sent).toEqual([{ body: { id, chainId, token, misses: 1 }, delaySeconds: 5 }]);
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

const gwei = (n: number) => BigInt(n) * 1_000_000_000n;
/** Fees of a signature as the record keeps them (decimal strings). */
const feesOf = (maxFeePerGas: bigint, maxPriorityFeePerGas: bigint) => ({
  maxFeePerGas: maxFeePerGas.toString(),
  maxPriorityFeePerGas: maxPriorityFeePerGas.toString(),
});

/**
 * A `success` transaction whose latest signature is in the node's pool with its nonce open, looked at
 * after one look without a receipt (misses 1): the look that may ask for a re-price or a cancel.
 * `latest` changes the latest signature's entry (its fees, when it was signed).
 */
async function pooledAndUnmined(overrides: Partial<Transaction> = {}, latest: Partial<SignatureRecord> = {}) {
  const signed = await trackedTransaction(overrides);
  const entries = signed.tx.hashes ?? [];
  const last = entries.at(-1);
  if (last) Object.assign(last, latest);
  const node = createFakeNode({ head: 10, latestNonce: 7 });
  node.pool.add(signed.txHash);
  return { ...signed, node };
}

describe('trackTransaction: a chain whose depth is its finalized block', () => {
  it.each([
    { finalized: 9, status: 'mined' },
    { finalized: 10, status: 'confirmed' },
    { finalized: undefined, status: 'mined' },
  ])('in block 10, the finalized block $finalized: $status', async ({ finalized, status }) => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 20 });
    node.mine(txHash, 10);
    node.finalized = finalized;
    const world = createTrackWorld([tx], { node, depth: 'finalized' });
    await trackTransaction(world.deps, { id, token });
    expect(world.responses.sent.map((s) => (s.body as { status: string }).status)).toEqual([status]);
  });
});

describe('trackTransaction: the reason a transaction reverted', () => {
  const errorString = (text: string) => encodeErrorResult({ abi: [errorAbi], errorName: 'Error', args: [text] });
  const errorAbi = { type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] } as const;

  it.each([
    { what: 'the call tracer gives it', trace: { revertReason: 'nope', output: '0x' }, reason: 'nope' },
    { what: 'the output encodes Error(string)', trace: { output: errorString('too late') }, reason: 'too late' },
    {
      what: 'the output encodes Panic(0x11)',
      trace: { output: `0x4e487b71${'0'.repeat(62)}11` },
      reason: 'panic 0x11',
    },
    { what: 'a revert without data', trace: { output: '0x' }, reason: undefined },
    { what: 'a custom error', trace: { output: `0xdeadbeef${'0'.repeat(64)}` }, reason: undefined },
    { what: 'a node without the tracer', trace: undefined, reason: undefined },
    {
      what: 'a reason of 100,000 characters',
      trace: { revertReason: 'x'.repeat(100_000) },
      reason: `${'x'.repeat(512)}…`,
    },
  ])('at depth, reverted: $what', async ({ trace, reason }) => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10, 'reverted');
    if (trace) node.trace = (hash) => (hash === txHash ? trace : null);
    const world = createTrackWorld([tx], { node, depth: 2 });
    await trackTransaction(world.deps, { id, token });
    const [body] = world.responses.sent.map((s) => s.body as { status: string; receipt: Receipt; message: string });
    expect(body?.status).toBe('reverted');
    expect(body?.receipt.revertReason).toBe(reason);
    if (reason) expect(body?.message).toContain(`reverted: ${reason}`);
  });
});

describe('trackTransaction: re-pricing a transaction the market passed', () => {
  it('asks the broadcaster to re-price its latest signature once 3 blocks came after it with the market above its fees', async () => {
    // prepare: an older signature and the latest (signed at 00:00:01); blocks 8, 9, 10 came at 00:00:48 and later
    const { tx, txHash, olderHash } = await trackedTransaction({}, { older: true });
    const node = createFakeNode({ head: 10, latestNonce: 7 });
    node.pool.add(txHash);
    const world = createTrackWorld([tx], { node, stuckAfterBlocks: 3 });
    world.market.maxFeePerGas = fees.maxFeePerGas + 1n;
    // act
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    // assess
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.requests.sent).toEqual([
      { body: { id, attempt: 1, phase: 'reprice', replaces: txHash }, delaySeconds: undefined },
    ]);
    expect(txHash).not.toBe(olderHash);
    expect(world.responses.sent).toEqual([]);
    expect(node.sent).toEqual([]);
    expect(world.stuck).toEqual([]);
    expect(world.tracking.sent).toEqual([{ body: { id, chainId, token, misses: 1 }, delaySeconds: 5 }]);
  });

  it('behind an unmined nonce of its sender, it waits for that one: no re-price', async () => {
    const { tx, txHash } = await trackedTransaction();
    const node = createFakeNode({ head: 10, latestNonce: 6 });
    node.pool.add(txHash);
    const world = createTrackWorld([tx], { node });
    world.market.maxFeePerGas = fees.maxFeePerGas * 3n;
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent).toEqual([]);
    expect(world.responses.sent).toEqual([]);
  });

  it('a record too large for another signature is flagged stuck, not replaced (DynamoDB holds 400 KB an item)', async () => {
    const big = `0x${'ab'.repeat(90_000)}`;
    const { tx, txHash } = await trackedTransaction({ data: big });
    tx.rawTx = big; // as large as its call data: what each replacement would copy into its entry
    const node = createFakeNode({ head: 10, latestNonce: 7 });
    node.pool.add(txHash);
    const world = createTrackWorld([tx], { node });
    world.market.maxFeePerGas = fees.maxFeePerGas * 3n;
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent).toEqual([]);
    expect(world.responses.sent.map((r) => r.body)).toEqual([
      expect.objectContaining({ stuck: expect.stringContaining('holds no more signatures') }),
    ]);
  });

  it('a market tip above its tip is enough to ask', async () => {
    const { tx, txHash, node } = await pooledAndUnmined();
    const world = createTrackWorld([tx], { node });
    world.market.maxPriorityFeePerGas = fees.maxPriorityFeePerGas + 1n;
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent.map((s) => s.body)).toEqual([{ id, attempt: 1, phase: 'reprice', replaces: txHash }]);
  });

  it.each([
    // block 8 is at 00:00:48: signed after it, only blocks 9 and 10 came since
    { signedAt: '2025-01-01T00:00:49.000Z', stuckAfterBlocks: 3, asks: false },
    { signedAt: '2025-01-01T00:00:47.999Z', stuckAfterBlocks: 3, asks: true },
    { signedAt: '2025-01-01T00:00:49.000Z', stuckAfterBlocks: 2, asks: true },
    { signedAt: '2025-01-01T00:00:55.000Z', stuckAfterBlocks: 2, asks: false },
  ])('signed at $signedAt with stuckAfterBlocks $stuckAfterBlocks (head 10), it asks: $asks', async (c) => {
    const { tx, txHash, node } = await pooledAndUnmined({}, { signedAt: c.signedAt });
    const world = createTrackWorld([tx], { node, stuckAfterBlocks: c.stuckAfterBlocks });
    world.market.maxFeePerGas = gwei(50);
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent.map((s) => s.body)).toEqual(
      c.asks ? [{ id, attempt: 1, phase: 'reprice', replaces: txHash }] : [],
    );
  });

  it.each([
    { market: 'at its fees', ...fees },
    { market: 'below its fees', maxFeePerGas: fees.maxFeePerGas - 1n, maxPriorityFeePerGas: 1n },
  ])(
    'asks nothing with the market $market, however many blocks came',
    async ({ maxFeePerGas, maxPriorityFeePerGas }) => {
      const { tx, node } = await pooledAndUnmined();
      const world = createTrackWorld([tx], { node, stuckAfterBlocks: 1 });
      Object.assign(world.market, { maxFeePerGas, maxPriorityFeePerGas });
      const result = await trackTransaction(world.deps, { id, token, misses: 1 });
      expect(result).toEqual({ action: 'waiting', misses: 1 });
      expect(world.requests.sent).toEqual([]);
      expect(world.responses.sent).toEqual([]);
      expect(node.sent).toEqual([]);
    },
  );

  it('asks nothing on a first look without a receipt, even with the market far above', async () => {
    const { tx, node } = await pooledAndUnmined();
    const world = createTrackWorld([tx], { node });
    world.market.maxFeePerGas = gwei(50);
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.requests.sent).toEqual([]);
  });
});

describe('trackTransaction: at the fee cap', () => {
  /** Its latest signature at the cap (100 gwei), the market at 500 gwei: no 12.5% bump fits under the cap. */
  const atTheCap = feesOf(gwei(100), gwei(2));

  it('asks nothing, sends its latest bytes again, reports it stuck once with the reason, and counts the metric', async () => {
    const { tx, rawTx, node } = await pooledAndUnmined({}, atTheCap);
    const world = createTrackWorld([tx], { node, feeCapGwei: 100 });
    world.market.maxFeePerGas = gwei(500);
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    // The report goes on: the updater starts the next look once it has flagged it.
    expect(result).toEqual({ action: 'reported', status: 'success', next: true });
    expect(world.tracking.sent).toEqual([]);
    expect(world.requests.sent).toEqual([]);
    expect(node.sent).toEqual([rawTx]);
    expect(world.responses.sent).toEqual([
      {
        body: {
          id,
          attempt: 1,
          chainId,
          at,
          status: 'success',
          stuck: expect.stringMatching(/500 gwei.*100 gwei/),
          message: expect.stringContaining('Stuck at the fee cap'),
        },
        delaySeconds: undefined,
      },
    ]);
    expect(world.stuck).toEqual([chainId]);
  });

  it('already flagged stuck: sends its bytes again and counts the metric, with no second report', async () => {
    const stuck = { since: '2025-01-01T00:00:30.000Z', reason: 'a replacement needs more than the cap' };
    const { tx, rawTx, node } = await pooledAndUnmined({ stuck }, atTheCap);
    const world = createTrackWorld([tx], { node, feeCapGwei: 100 });
    world.market.maxFeePerGas = gwei(500);
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent).toEqual([]);
    expect(node.sent).toEqual([rawTx]);
    expect(world.stuck).toEqual([chainId]);
    expect(world.responses.sent).toEqual([]);
  });

  it('a higher cap leaves room for the bump: it asks a re-price instead of waiting', async () => {
    const { tx, txHash, node } = await pooledAndUnmined({}, atTheCap);
    const world = createTrackWorld([tx], { node, feeCapGwei: 200 });
    world.market.maxFeePerGas = gwei(500);
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent.map((s) => s.body)).toEqual([{ id, attempt: 1, phase: 'reprice', replaces: txHash }]);
    expect(world.stuck).toEqual([]);
    expect(world.responses.sent).toEqual([]);
    expect(node.sent).toEqual([]);
  });
});

describe('trackTransaction: asking for its cancel', () => {
  const asked = { requestedAt: '2025-01-01T00:00:30.000Z', by: 'admin', reason: 'requested' as const };

  it('a cancel asked for on the record: asks the broadcaster to cancel its latest signature', async () => {
    // The market is at its fees and it was signed just now: only the cancel asks.
    const { tx, txHash, node } = await pooledAndUnmined({ cancel: asked }, { signedAt: '2025-01-01T00:00:59.000Z' });
    const world = createTrackWorld([tx], { node });
    const result = await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(result).toEqual({ action: 'waiting', misses: 1 });
    expect(world.requests.sent).toEqual([
      { body: { id, attempt: 1, phase: 'cancel', replaces: txHash }, delaySeconds: undefined },
    ]);
    expect(world.responses.sent).toEqual([]);
  });

  it.each([
    { validUntil: '2025-01-01T00:00:59.999Z', asks: true },
    { validUntil: '2025-01-01T00:01:00.000Z', asks: true },
    { validUntil: '2025-01-01T00:01:00.001Z', asks: false },
  ])('validUntil $validUntil, the clock at 00:01:00: it asks a cancel: $asks', async ({ validUntil, asks }) => {
    const { tx, txHash, node } = await pooledAndUnmined({ validUntil });
    const world = createTrackWorld([tx], { node });
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent.map((s) => s.body)).toEqual(
      asks ? [{ id, attempt: 1, phase: 'cancel', replaces: txHash }] : [],
    );
  });

  it('a cancel the fee cap leaves no room for: asks nothing, flags it stuck once, and never sends the original again', async () => {
    // Its latest at the cap (100 gwei), the market at 500: no cancel can outbid it.
    const { tx, rawTx, node } = await pooledAndUnmined({ cancel: asked }, feesOf(gwei(100), gwei(2)));
    const world = createTrackWorld([tx], { node, feeCapGwei: 100 });
    world.market.maxFeePerGas = gwei(500);
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent).toEqual([]);
    expect(world.stuck).toEqual([chainId]);
    expect(world.responses.sent.map((r) => r.body)).toEqual([
      expect.objectContaining({ status: 'success', stuck: expect.stringMatching(/^its cancel cannot be signed: /) }),
    ]);
    expect(node.sent).toEqual([]);
    expect(rawTx).toBe(tx.rawTx);
  });

  it('dropped from the pool with a cancel asked for and none signed yet: the original is not sent again', async () => {
    const { tx, txHash } = await trackedTransaction({ cancel: asked });
    const node = createFakeNode({ head: 10, latestNonce: 7 });
    const world = createTrackWorld([tx], { node });
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(node.pool.has(txHash)).toBe(false);
    expect(node.sent).toEqual([]);
    expect(world.requests.sent.map((r) => r.body)).toEqual([{ id, attempt: 1, phase: 'cancel', replaces: txHash }]);
  });

  it('a record too large for a re-price still has room for its cancel (a plain transfer)', async () => {
    const big = `0x${'ab'.repeat(80_000)}`;
    const { tx, txHash } = await trackedTransaction({ data: big, cancel: asked });
    tx.rawTx = big;
    const node = createFakeNode({ head: 10, latestNonce: 7 });
    node.pool.add(txHash);
    const world = createTrackWorld([tx], { node });
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent.map((r) => r.body)).toEqual([{ id, attempt: 1, phase: 'cancel', replaces: txHash }]);
  });

  it('its latest signature already a cancel: no second cancel is asked', async () => {
    const { tx, txHash, node } = await pooledAndUnmined({ cancel: asked }, { kind: 'cancel' });
    const world = createTrackWorld([tx], { node });
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent).toEqual([]);
    expect(txHash).toBe(tx.hashes?.at(-1)?.txHash);
  });

  it('its latest signature a cancel the market passed: asks a re-price of it, not another cancel', async () => {
    const { tx, txHash, node } = await pooledAndUnmined({ validUntil: '2025-01-01T00:00:30.000Z' }, { kind: 'cancel' });
    const world = createTrackWorld([tx], { node });
    world.market.maxFeePerGas = gwei(50);
    await trackTransaction(world.deps, { id, token, misses: 1 });
    expect(world.requests.sent.map((s) => s.body)).toEqual([{ id, attempt: 1, phase: 'reprice', replaces: txHash }]);
  });
});

describe('trackTransaction: a replaced signature mined', () => {
  /** A transaction whose cancel replaced its original: the original's bytes kept in its entry, the cancel the record's. */
  async function canceledTransaction() {
    const original = await signedBytes({ nonce: 7 });
    const cancel = await signedBytes({ nonce: 7, to: account.address, value: 0n });
    const { tx } = await trackedTransaction({
      rawTx: cancel.rawTx,
      txHash: cancel.txHash,
      cancel: { requestedAt: '2025-01-01T00:00:30.000Z', by: 'admin', reason: 'requested' },
      hashes: [
        {
          txHash: original.txHash,
          rawTx: original.rawTx,
          ...feesOf(gwei(2), gwei(1)),
          signedAt: '2025-01-01T00:00:01.000Z',
        },
        { txHash: cancel.txHash, ...feesOf(gwei(3), gwei(2)), signedAt: '2025-01-01T00:00:31.000Z', kind: 'cancel' },
      ],
    });
    return { tx, original, cancel };
  }

  it('its cancel at depth: reports failed with canceled, the receipt and error canceled, and looks no more', async () => {
    const { tx, cancel } = await canceledTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(cancel.txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'failed', next: false });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      {
        id,
        attempt: 1,
        chainId,
        at,
        status: 'failed',
        canceled: true,
        receipt: receiptOf(cancel.txHash, 10, 2),
        txHash: cancel.txHash,
        error: 'canceled',
        message: expect.stringContaining('Canceled'),
      },
    ]);
    expect(world.tracking.sent).toEqual([]);
  });

  it('its cancel short of depth: reports mined (not canceled yet), its next look the updater’s', async () => {
    const { tx, cancel } = await canceledTransaction();
    const node = createFakeNode({ head: 10 });
    node.mine(cancel.txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'mined', next: true });
    const [body] = world.responses.sent.map((s) => s.body);
    expect(body).toMatchObject({ status: 'mined', receipt: receiptOf(cancel.txHash, 10, 1), txHash: cancel.txHash });
    expect(body).not.toHaveProperty('canceled');
    expect(body).not.toHaveProperty('error');
    expect(world.tracking.sent).toEqual([]);
  });

  it('the original mined at depth, not its cancel: confirmed, naming the original (its bytes are in its entry)', async () => {
    const { tx, original } = await canceledTransaction();
    const node = createFakeNode({ head: 11 });
    node.mine(original.txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    const result = await trackTransaction(world.deps, { id, token });
    expect(result).toEqual({ action: 'reported', status: 'confirmed', next: false });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({
        status: 'confirmed',
        receipt: receiptOf(original.txHash, 10, 2),
        txHash: original.txHash,
      }),
    ]);
    expect(world.responses.sent[0]?.body).not.toHaveProperty('canceled');
    expect(world.responses.sent[0]?.body).not.toHaveProperty('rawTx');
  });

  it('an older signature mined short of depth: the mined report names it, and the view shows its bytes', async () => {
    const { tx, olderHash, olderRawTx } = await trackedTransaction({}, { older: true });
    const older = tx.hashes?.[0];
    if (older) older.rawTx = olderRawTx;
    const node = createFakeNode({ head: 10 });
    node.mine(olderHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    await trackTransaction(world.deps, { id, token });
    expect(world.responses.sent.map((s) => s.body)).toEqual([
      expect.objectContaining({ status: 'mined', txHash: olderHash }),
    ]);
    expect(olderRawTx).not.toBe(tx.rawTx);
    // The record keeps the latest's bytes (the ones sent again); the view shows those of the hash mined.
    expect(toView({ ...tx, status: 'mined', txHash: olderHash }).rawTx).toBe(olderRawTx);
    expect(toView(tx).rawTx).toBe(tx.rawTx);
  });

  it('the latest signature mined: the report carries no bytes, the record holds them', async () => {
    const { tx, txHash, rawTx } = await trackedTransaction();
    const latest = tx.hashes?.at(-1);
    if (latest) latest.rawTx = rawTx;
    const node = createFakeNode({ head: 11 });
    node.mine(txHash, 10);
    const world = createTrackWorld([tx], { node, depth: 2 });
    await trackTransaction(world.deps, { id, token });
    expect(world.responses.sent.map((s) => s.body)).toEqual([expect.objectContaining({ status: 'confirmed', txHash })]);
    expect(world.responses.sent[0]?.body).not.toHaveProperty('rawTx');
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createWalletClient, type Hash, type Hex, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { deleteDelivered } from '../../infra/local/eventSourceMapping.ts';
import { chainTransactionsOf } from '../support/audit.ts';
import { boundCases, devRecipient, devSigner, isFinal } from '../support/chainCases.ts';
import { deliver, receiveAll, sqsEvent } from '../support/deliver.ts';
import { type DriveOptions, driveUntil, type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

// The lifecycle against a chain that mines one block a second, at a depth of 2: each case follows one
// transaction from POST to its terminal status through the real handlers, the tracker included, and then
// reads the whole chain to check that no id has two on-chain effects and the signer's nonces run on.

let stack: TestStack;
let handlers: Handlers;

const signer = devSigner;
const recipient = devRecipient;
const cases = boundCases(() => ({ stack, handlers }));
const { post, view, pauseMining, resumeMining } = cases;
const expectOneEffectPerId = () => cases.expectOneEffectPerId({ some: true });

/** Another dev account, the test's own, for what the broadcaster must not sign (the contract's deployment). */
const deployer = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

/** Runtime code that reverts every call with `Error("nope")`: the ABI-encoded reason in memory, then REVERT. */
const revertingRuntime = `7f08c379a0${'00'.repeat(28)}600052602060045260046024527f6e6f7065${'00'.repeat(28)}60445260646000fd`;
/** Init code that copies `revertingRuntime` (87 bytes) to memory and returns it. */
const revertingInitCode: Hex = `0x605780600b6000396000f3${revertingRuntime}`;

/** Drives every queue, the tracker's included, until transaction `id` satisfies `holds`; returns it then. */
async function driveTo(
  id: string,
  what: string,
  holds: (tx: TransactionView) => boolean,
  options: DriveOptions = {},
): Promise<TransactionView> {
  let last: TransactionView | undefined;
  try {
    await driveUntil(
      stack,
      handlers,
      async () => {
        last = await view(id);
        return holds(last);
      },
      { timeoutMs: 15_000, what, ...options },
    );
  } catch (error) {
    const seen = last ? `${last.status} after ${last.history.map((h) => h.outcome).join(', ')}` : 'nothing';
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen: ${seen}`, { cause: error });
  }
  if (!last) throw new Error('never read');
  return last;
}

const rpcAnswer = z.object({ result: z.unknown(), error: z.object({ message: z.string() }).optional() });

/** A JSON-RPC call viem has no method for (anvil_reorg). */
async function anvilRpc(method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(stack.anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const out = rpcAnswer.parse(await res.json());
  if (out.error) throw new Error(`${method}: ${out.error.message}`);
  return out.result;
}

/** The receipt a settled record holds is the canonical chain's, at depth. */
async function expectCanonicalReceipt(tx: TransactionView, status: 'success' | 'reverted') {
  const r = tx.receipt;
  if (!r) throw new Error(`${tx.id} has no receipt`);
  expect(r).toMatchObject({ status, txHash: tx.txHash });
  expect(r.confirmations).toBeGreaterThanOrEqual(2);
  const block = await stack.chain.getBlock({ blockNumber: BigInt(r.blockNumber) });
  expect(r.blockHash, 'the block at its height is the one the receipt names').toBe(block.hash);
  const onChain = await stack.chain.getTransactionReceipt({ hash: r.txHash as Hash });
  expect(r).toMatchObject({
    blockHash: onChain.blockHash,
    blockNumber: Number(onChain.blockNumber),
    gasUsed: onChain.gasUsed.toString(),
    effectiveGasPrice: onChain.effectiveGasPrice.toString(),
  });
  expect(onChain.status).toBe(status);
  const head = await stack.chain.getBlockNumber({ cacheTime: 0 });
  expect(Number(head) - r.blockNumber + 1).toBeGreaterThanOrEqual(r.confirmations);
}

beforeAll(async () => {
  stack = await startTestStack({ blockTime: 1 });
  handlers = await loadHandlers(stack, { CONFIRMATIONS: '2', TRACK_INTERVAL_SECONDS: '1' });
});

afterAll(async () => {
  await stack?.stop();
});

describe('the lifecycle on a chain of one block a second, at depth 2', () => {
  it('a transfer ends confirmed with the canonical receipt', { timeout: 30_000 }, async () => {
    const id = await post({ to: recipient, value: '1000' });

    const tx = await driveTo(id, 'a terminal status', isFinal);

    expect(tx.status).toBe('confirmed');
    await expectCanonicalReceipt(tx, 'success');
    const outcomes = tx.history.map((h) => h.outcome);
    // Both blocks may have come before the tracker's first look: then it goes from success to confirmed.
    expect([
      ['success', 'mined', 'confirmed'],
      ['success', 'confirmed'],
    ]).toContainEqual(outcomes);
    for (const h of tx.history.filter((x) => x.outcome !== 'success'))
      expect(h.blockNumber).toBe(tx.receipt?.blockNumber);
    expect(tx.hashes.map((h) => h.txHash)).toEqual([tx.txHash]);
    await expectOneEffectPerId();
  });

  it('a call that reverts ends reverted with its receipt', { timeout: 30_000 }, async () => {
    const wallet = createWalletClient({ account: deployer, transport: http(stack.anvil.url) });
    const deployment = await wallet.deployContract({ abi: [], bytecode: revertingInitCode, chain: null });
    const deployed = await stack.chain.waitForTransactionReceipt({ hash: deployment, pollingInterval: 100 });
    const contract = deployed.contractAddress;
    if (!contract) throw new Error('no contract deployed');
    expect(await stack.chain.getCode({ address: contract })).toBe(`0x${revertingRuntime}`);

    // An explicit gas limit: estimating it would fail first, since the call reverts.
    const id = await post({ to: contract, value: '0', data: '0x', gas: '50000' });
    const tx = await driveTo(id, 'a terminal status', isFinal);

    expect(tx.status).toBe('reverted');
    await expectCanonicalReceipt(tx, 'reverted');
    // The reason as the node tells it (anvil's call tracer), never a guess.
    expect(tx.receipt?.revertReason).toBe('nope');
    expect(tx.message).toContain('reverted: nope');
    expect(tx.history.map((h) => h.outcome).at(-1)).toBe('reverted');
    expect(tx.history.map((h) => h.outcome)).not.toContain('confirmed');
    await expectOneEffectPerId();
  });

  it('a transaction dropped from the pool is sent again and ends confirmed', { timeout: 30_000 }, async () => {
    await pauseMining();
    let dropped: Hash;
    let id: string;
    try {
      id = await post({ to: recipient, value: '2000' });
      const sent = await driveTo(id, 'success', (t) => t.status === 'success');
      dropped = sent.txHash as Hash;
      const pooled = await stack.chain.getTransaction({ hash: dropped });
      expect(pooled.blockNumber, 'in the pool, not in a block').toBeNull();

      await stack.testClient.dropTransaction({ hash: dropped });
      await expect(stack.chain.getTransaction({ hash: dropped }), 'gone from the pool').rejects.toThrow();
    } finally {
      await resumeMining();
    }

    const tx = await driveTo(id, 'a terminal status', isFinal);

    expect(tx.status).toBe('confirmed');
    // The very same bytes: the tracker sent the stored signature again, it did not sign another.
    expect(tx.txHash).toBe(dropped);
    expect(tx.hashes.map((h) => h.txHash)).toEqual([dropped]);
    await expectCanonicalReceipt(tx, 'success');
    expect(tx.history.map((h) => h.outcome)).not.toContain('reorged');
    await expectOneEffectPerId();
  });

  it('a reorg deeper than its block is noticed and it ends confirmed in the new chain', {
    timeout: 30_000,
  }, async () => {
    // Blocks are made by hand until the reorg, so that it is `mined`, short of depth, when it happens.
    await pauseMining();
    let first: NonNullable<TransactionView['receipt']>;
    let id: string;
    try {
      id = await post({ to: recipient, value: '3000' });
      await driveTo(id, 'success', (t) => t.status === 'success');
      await stack.testClient.mine({ blocks: 1 });
      const mined = await driveTo(id, 'mined', (t) => t.status === 'mined');
      if (!mined.receipt) throw new Error('mined without a receipt');
      first = mined.receipt;
      expect(first.confirmations).toBe(1);

      // Two blocks replaced by empty ones: the one holding it and the one before.
      await anvilRpc('anvil_reorg', [2, []]);
      const now = await stack.chain.getBlock({ blockNumber: BigInt(first.blockNumber) });
      expect(now.hash, 'its block is no longer the chain').not.toBe(first.blockHash);
      const ours = await chainTransactionsOf(stack.anvil.url, signer);
      expect(ours.map((t) => t.hash)).not.toContain(first.txHash);
    } finally {
      await resumeMining();
    }

    const back = await driveTo(id, 'reorged in its history', (t) => t.history.some((h) => h.outcome === 'reorged'));
    // The updater applied the tracker's report and nothing since: mined went back to success.
    expect(back).toMatchObject({ status: 'success', receipt: null, txHash: first.txHash });

    const tx = await driveTo(id, 'a terminal status', isFinal);

    expect(tx.status).toBe('confirmed');
    await expectCanonicalReceipt(tx, 'success');
    expect(tx.receipt?.blockHash).not.toBe(first.blockHash);
    expect(tx.receipt?.blockNumber).toBeGreaterThan(first.blockNumber);
    expect(tx.txHash).toBe(first.txHash);
    const outcomes = tx.history.map((h) => h.outcome);
    expect(outcomes.indexOf('mined')).toBeLessThan(outcomes.indexOf('reorged'));
    expect(outcomes.indexOf('reorged')).toBeLessThan(outcomes.indexOf('confirmed'));
    expect(outcomes.at(-1)).toBe('confirmed');
    await expectOneEffectPerId();
  });

  it('a look delivered twice does not fork the tracking: one report is applied and hands on one next look', {
    timeout: 30_000,
  }, async () => {
    await pauseMining();
    let id: string;
    try {
      id = await post({ to: recipient, value: '4000' });
      await driveTo(id, 'success', (t) => t.status === 'success');
      await sleep(1200); // the tracking message's delay
      const [look] = await receiveAll(stack.sqs, stack.queues.tracking);
      if (!look) throw new Error('no tracking message');
      await deleteDelivered(stack.sqs, stack.queues.tracking, [look], { batchItemFailures: [] });
      await stack.testClient.mine({ blocks: 1 });

      // The same look twice (SQS delivers at least once): both see it mined, both report it.
      await handlers.tracker(sqsEvent([look, { ...look, MessageId: `${look.MessageId}-again` }]));
      const reports = await deliver(stack.sqs, stack.queues.responses, handlers.updater);
      expect(reports.bodies).toEqual([
        expect.objectContaining({ status: 'mined' }),
        expect.objectContaining({ status: 'mined' }),
      ]);
      await sleep(1200);
      const next = await receiveAll(stack.sqs, stack.queues.tracking);
      expect(next, 'one tracking goes on, under the token the applied report wrote').toHaveLength(1);
      const tx = await view(id);
      expect(tx.status).toBe('mined');
      const record = await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${id}` } }));
      expect(JSON.parse(next[0]?.Body ?? '{}').token).toBe(record.Item?.trackToken);
      expect(record.Item?.trackToken).not.toBe(JSON.parse(look.Body ?? '{}').token);
      await handlers.tracker(sqsEvent(next));
      await deleteDelivered(stack.sqs, stack.queues.tracking, next, { batchItemFailures: [] });
    } finally {
      await resumeMining();
    }
    const tx = await driveTo(id, 'a terminal status', isFinal);
    expect(tx.status).toBe('confirmed');
    await expectOneEffectPerId();
  });
});

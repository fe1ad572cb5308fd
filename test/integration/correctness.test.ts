import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDevKey } from '../../functions/lib/config/loadConfig.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { deliver, receiveAll, sqsEvent } from '../support/deliver.ts';
import { type Handlers, loadHandlers, pump as pumpQueues } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

let stack: TestStack;
let handlers: Handlers;

const signer = privateKeyToAccount(anvilDevKey);
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

import { setTimeout as sleep } from 'node:timers/promises';

async function post(body: unknown) {
  const res = await handlers.api(apiEvent('POST', '/transactions', body));
  return JSON.parse(res.body ?? 'null');
}
async function get(id: string) {
  return JSON.parse((await handlers.api(apiEvent('GET', `/transactions/${id}`))).body ?? 'null');
}
const pump = () => pumpQueues(stack, handlers);
const minedNonce = () => stack.chain.getTransactionCount({ address: signer.address, blockTag: 'latest' });

beforeAll(async () => {
  stack = await startTestStack();
  handlers = await loadHandlers(stack, {
    // Long enough that a loaded machine does not let a claim expire mid-signing; short enough to wait out.
    SIGNING_LEASE_SECONDS: '3',
    RETRY_BASE_SECONDS: '0',
    RETRY_CAP_SECONDS: '0',
    // These tests send what the signer cannot pay for the node to refuse: the balance guard would refuse it first.
    BALANCE_GUARD: 'off',
  });
  // Seed the nonce counter with one ordinary transaction.
  const first = await post({ to, value: '1' });
  await pump();
  expect((await get(first.id)).status).toBe('success');
});

afterAll(async () => {
  await stack?.stop();
});

describe('duplicate delivery', () => {
  it('every request delivered twice: one signature and one transaction on chain per id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await post({ to, value: String(100 + i) })).id);
    for (const id of ids) {
      await stack.sqs.send(
        new SendMessageCommand({ QueueUrl: stack.queues.requests, MessageBody: JSON.stringify({ id, attempt: 1 }) }),
      );
    }
    const before = await minedNonce();
    const messages = await receiveAll(stack.sqs, stack.queues.requests);
    expect(messages).toHaveLength(20);
    // Both copies of each message in flight at once, in two concurrent invocations.
    await Promise.all([
      handlers.broadcaster(sqsEvent(messages.slice(0, 10))),
      handlers.broadcaster(sqsEvent(messages.slice(10))),
    ]);
    await handlers.broadcaster(sqsEvent(messages)); // and once more, as after a visibility timeout
    await pump();
    const txs = await Promise.all(ids.map(get));
    expect(txs.every((t) => t.status === 'success')).toBe(true);
    expect(new Set(txs.map((t) => t.nonce)).size).toBe(10);
    expect((await minedNonce()) - before).toBe(10);
    for (const t of txs) {
      expect((await stack.chain.getTransaction({ hash: t.txHash })).value).toBe(BigInt(t.value));
    }
  });
});

describe('forward-only status', () => {
  it('a retrying response arriving after success changes nothing; a duplicate is a no-op', async () => {
    const { id } = await post({ to, value: '5' });
    await pump();
    const done = await get(id);
    expect(done).toMatchObject({ status: 'success', attempts: 1 });
    const late = {
      id,
      status: 'retrying',
      attempt: 2,
      at: new Date().toISOString(),
      message: 'late',
      error: 'timeout',
    };
    const dup = {
      id,
      status: 'success',
      attempt: 1,
      at: new Date().toISOString(),
      message: 'again',
      txHash: done.txHash,
    };
    const failedLate = { id, status: 'failed', attempt: 3, at: new Date().toISOString(), message: 'late failure' };
    for (const body of [late, dup, failedLate]) {
      await stack.sqs.send(
        new SendMessageCommand({ QueueUrl: stack.queues.responses, MessageBody: JSON.stringify(body) }),
      );
    }
    const result = await deliver(stack.sqs, stack.queues.responses, handlers.updater);
    expect(result.failures).toEqual([]);
    const after = await get(id);
    expect(after).toMatchObject({ status: 'success', attempts: 1, message: done.message, updatedAt: done.updatedAt });
    expect(after.history).toEqual(done.history);
  });

  it('attempts never decrease: an older retrying after a newer one is ignored', async () => {
    const { id } = await post({ to, value: '6' });
    const at = new Date().toISOString();
    const second = { id, status: 'retrying', attempt: 2, at, message: 'second failed', error: 'e2' };
    const first = { id, status: 'retrying', attempt: 1, at, message: 'first failed', error: 'e1' };
    await handlers.updater(sqsEvent([{ MessageId: 'a', Body: JSON.stringify(second) }]));
    await handlers.updater(sqsEvent([{ MessageId: 'b', Body: JSON.stringify(first) }]));
    expect(await get(id)).toMatchObject({ status: 'retrying', attempts: 2, message: 'second failed' });
    await pump(); // the real request still goes through
    expect((await get(id)).status).toBe('success');
  });
});

describe('permanent rejection', () => {
  it('a gas limit above the block’s fails after one attempt with the node’s reason, and the next transactions are mined', async () => {
    // Within what a transaction can carry, so the api takes it; no block can hold it, so the node refuses it for good.
    const bad = await post({ to, value: '1', gas: String(2 ** 40) });
    const next = await post({ to, value: '2' });
    await pump();
    const failed = await get(bad.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.message).toMatch(/block.gas_limit|block gas limit/i);
    expect(failed.filledBy).toMatch(/^0x[0-9a-f]{64}$/);
    const filler = await stack.chain.getTransactionReceipt({ hash: failed.filledBy });
    expect(filler.status).toBe('success');
    const ok = await get(next.id);
    expect(ok.status).toBe('success');
    expect((await stack.chain.getTransactionReceipt({ hash: ok.txHash })).status).toBe('success');
  });

  it('a value beyond the balance fails after one attempt, and does not block the next transaction', async () => {
    const bad = await post({ to, value: (10n ** 30n).toString() });
    await pump();
    const failed = await get(bad.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.message).toMatch(/insufficient funds/i);
    const next = await post({ to, value: '3' });
    await pump();
    const ok = await get(next.id);
    expect(ok.status).toBe('success');
    expect((await stack.chain.getTransactionReceipt({ hash: ok.txHash })).status).toBe('success');
  });
});

describe('nonces', () => {
  it('a nonce taken but never stored is filled by the sweep, unblocking the transactions behind it', async () => {
    const { createNonceStore } = await import('../../functions/lib/store/NonceStore.ts');
    const nonces = createNonceStore(stack.doc, stack.tableName);
    // A crash between taking a nonce and storing it.
    const burned = await nonces.allocate(31337, signer.address, async () => 0, Date.now());
    const behind = await post({ to, value: '4' });
    await pump();
    const accepted = await get(behind.id);
    expect(accepted).toMatchObject({ status: 'success', nonce: burned + 1 });
    expect(await minedNonce()).toBe(burned); // accepted by the node, but stuck behind the hole
    await sleep(6100); // two signing leases: nobody can still store the burned nonce
    const swept = await handlers.sweep();
    expect(swept.filled).toBe(1);
    expect(await minedNonce()).toBe(burned); // the sweep only finds the hole: the broadcaster fills it
    await pump();
    expect(await minedNonce()).toBe(burned + 2);
    expect((await stack.chain.getTransactionReceipt({ hash: accepted.txHash })).status).toBe('success');
    const filler = await nonces.findFiller(31337, signer.address, burned);
    expect(filler?.nonce === burned && /never used/.test(String(filler?.reason))).toBe(true);
  });

  it('a nonce used by someone else fails our transaction, says so, and moves the counter past it', async () => {
    const wallet = createWalletClient({ account: signer, transport: http(stack.anvil.url) });
    const outsider = await minedNonce();
    // The same key used outside the broadcaster takes the next nonce, and the one after.
    await wallet.sendTransaction({ chain: null, to, value: 1n, nonce: outsider });
    await wallet.sendTransaction({ chain: null, to, value: 1n, nonce: outsider + 1 });
    const ours = await post({ to, value: '9' });
    await pump();
    const victim = await get(ours.id);
    expect(victim).toMatchObject({ status: 'failed', nonce: outsider });
    expect(victim.message).toMatch(/already used by another transaction/);
    const next = await post({ to, value: '10' });
    await pump();
    expect(await get(next.id)).toMatchObject({ status: 'success', nonce: outsider + 2 });
    const item = await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${next.id}` } }));
    expect(item.Item?.rawTx).toBeDefined();
  });
});

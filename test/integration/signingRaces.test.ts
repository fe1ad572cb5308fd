import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BroadcastDeps } from '../../functions/lib/broadcast/BroadcastDeps.ts';
import { broadcastTransaction } from '../../functions/lib/broadcast/broadcastTransaction.ts';
import { type Signer, signerSet } from '../../functions/lib/chain/Signer.ts';
import { anvilDevKey } from '../../functions/lib/config/loadConfig.ts';
import { KmsSignerError } from '../../functions/lib/errors/errors.ts';
import { buildBroadcastDeps } from '../../functions/lib/services/buildBroadcastDeps.ts';
import { loadServices } from '../../functions/lib/services/loadServices.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { deliver, receiveAll, sqsEvent } from '../support/deliver.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

let stack: TestStack;
let api: Handlers['api'];
let broadcaster: Handlers['broadcaster'];
let updater: Handlers['updater'];
let deps: BroadcastDeps;

const signer = privateKeyToAccount(anvilDevKey);
/** A contract whose every call reverts: `PUSH1 0 PUSH1 0 REVERT`. */
const reverter = '0x00000000000000000000000000000000000dead0' as const;

async function post(body: unknown) {
  return JSON.parse((await api(apiEvent('POST', '/transactions', body))).body ?? 'null');
}
async function get(id: string) {
  return JSON.parse((await api(apiEvent('GET', `/transactions/${id}`))).body ?? 'null');
}
const item = async (id: string) =>
  (await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${id}` }, ConsistentRead: true })))
    .Item;
const minedNonce = () => stack.chain.getTransactionCount({ address: signer.address, blockTag: 'latest' });

beforeAll(async () => {
  stack = await startTestStack();
  ({ api, broadcaster, updater } = await loadHandlers(stack, { RETRY_BASE_SECONDS: '0', RETRY_CAP_SECONDS: '0' }));
  deps = await buildBroadcastDeps(await loadServices('test'));
});

afterAll(async () => {
  await stack?.stop();
});

describe('a transaction that failed before it was signed', () => {
  it('is never signed by a duplicate that arrives after the failure, even when the cause has gone', async () => {
    await stack.testClient.setCode({ address: reverter, bytecode: '0x60006000fd' });
    const { id } = await post({ to: reverter, data: '0x12345678' });
    const [message] = await receiveAll(stack.sqs, stack.queues.requests);
    expect(message).toBeDefined();
    if (!message) return;
    const before = await minedNonce();
    await broadcaster(sqsEvent([message])); // estimateGas reverts: failed, nothing signed
    // The cause goes away, and a duplicate of the request arrives before the updater ran.
    await stack.testClient.setCode({ address: reverter, bytecode: '0x' });
    const again = await broadcaster(sqsEvent([{ ...message, MessageId: 'duplicate' }]));
    expect(again.batchItemFailures).toEqual([]);
    const stored = await item(id);
    expect(stored?.rawTx).toBeUndefined();
    expect(stored?.signingClosed).toMatch(/revert/i);
    expect(await minedNonce()).toBe(before);
    await deliver(stack.sqs, stack.queues.responses, updater);
    const tx = await get(id);
    expect(tx).toMatchObject({ status: 'failed', attempts: 1, nonce: null, txHash: null });
    expect(tx.signingClosed).toBeUndefined();
  });
});

/** The broadcaster's deps with a signer that KMS throttles once (a transient error), then signs. */
function throttledOnce(): BroadcastDeps {
  let calls = 0;
  const real = deps.signers.all[0] as Signer;
  return {
    ...deps,
    signers: signerSet([
      {
        address: real.address,
        signTransaction: async (tx) => {
          calls++;
          if (calls === 1) {
            throw new KmsSignerError({
              keyId: 'test-key',
              operation: 'Sign',
              reason: 'throttled',
              detail: 'rate exceeded',
            });
          }
          return real.signTransaction(tx);
        },
      },
    ]),
  };
}

describe('a signer that fails after the nonce was taken', () => {
  it('keeps the nonce on the transaction, and the next attempt signs with that same nonce', async () => {
    const { id } = await post({ to: signer.address, value: '1', gas: '21000' });
    await receiveAll(stack.sqs, stack.queues.requests); // taken off the queue; driven by hand below
    const flaky = throttledOnce();
    const first = await broadcastTransaction(flaky, { id, attempt: 1 });
    expect(first).toMatchObject({ status: 'retrying' });
    const reserved = (await item(id))?.nonce;
    expect(typeof reserved).toBe('number');
    const second = await broadcastTransaction(flaky, { id, attempt: 2 });
    expect(second).toMatchObject({ status: 'success' });
    expect((await item(id))?.nonce).toBe(reserved);
    const onChain = await stack.chain.getTransaction({ hash: second?.txHash as Hex });
    expect(onChain.nonce).toBe(reserved);
    await deliver(stack.sqs, stack.queues.retry, async () => ({ batchItemFailures: [] }));
    await deliver(stack.sqs, stack.queues.responses, updater);
  });
});

describe('a signer that fails after the nonce was taken, past the pre-send budget', () => {
  it('fails the transaction and fills that nonce at once, so the transactions behind it move', async () => {
    const { id } = await post({ to: signer.address, value: '3', gas: '21000' });
    await receiveAll(stack.sqs, stack.queues.requests); // taken off the queue; driven by hand below
    const before = await minedNonce();
    // Nothing could be sent for this attempt since the whole budget ago: this failure is the last.
    const unsentSince = Date.now() - deps.settings.preSendBudgetMs;
    const last = await broadcastTransaction(throttledOnce(), { id, attempt: 1, unsentSince });
    const reserved = (await item(id))?.nonce;
    expect(reserved).toBe(before);
    expect(last).toMatchObject({ status: 'failed' });
    expect(last?.error).toMatch(/^nothing sent in \d+ s of trying: /);
    expect(last?.filledBy).toMatch(/^0x[0-9a-f]{64}$/);
    const filler = await stack.chain.getTransaction({ hash: last?.filledBy as Hex });
    expect(filler.nonce).toBe(reserved);
    await deliver(stack.sqs, stack.queues.responses, updater);
  });
});

describe('settling a spent transaction', () => {
  it('a repeated report of the spent attempt moves the sweep’s due time on, without adding history', async () => {
    const { id } = await post({ to: signer.address, value: '2' });
    const at = new Date().toISOString();
    const report = (attempt: number, nextAttemptAt: string) => ({
      id,
      status: 'retrying',
      attempt,
      at,
      message: `check ${nextAttemptAt}`,
      error: 'timeout',
      nextAttemptAt,
    });
    const send = (body: unknown) =>
      stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queues.responses, MessageBody: JSON.stringify(body) }));
    await send(report(3, new Date(Date.now() + 1000).toISOString()));
    await deliver(stack.sqs, stack.queues.responses, updater);
    const firstDue = (await item(id))?.dueAt;
    await send(report(3, new Date(Date.now() + 600_000).toISOString()));
    await deliver(stack.sqs, stack.queues.responses, updater);
    const after = await item(id);
    expect(after?.dueAt).toBeGreaterThan(Number(firstDue) + 500_000);
    expect(after?.history).toHaveLength(1);
    expect(after?.attempts).toBe(3);
  });
});

describe('a nonce gap filled twice', () => {
  it('signs one filler and sends those same bytes again, as the sweep and a retry may both ask', async () => {
    const { fillGap } = await import('../../functions/lib/broadcast/fillGap.ts');
    const nonce = (await minedNonce()) + 50; // a nonce far ahead: nothing holds it
    let signatures = 0;
    const real = deps.signers.all[0] as Signer;
    const counting: BroadcastDeps = {
      ...deps,
      signers: signerSet([
        {
          address: real.address,
          signTransaction: async (tx) => {
            signatures++;
            return real.signTransaction(tx);
          },
        },
      ]),
    };
    const request = { fill: { chainId: 31337, from: signer.address, nonce, reason: 'test gap' } };
    const first = await fillGap(counting, request);
    const second = await fillGap(counting, request);
    expect(signatures).toBe(1);
    expect(second?.filler.txHash).toBe(first?.filler.txHash);
    expect(second?.filler.rawTx).toBe(first?.filler.rawTx);
  });
});

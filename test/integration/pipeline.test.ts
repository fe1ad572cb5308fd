import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteDelivered } from '../../infra/local/eventSourceMapping.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { sendEvent } from '../support/callApi.ts';
import { deliver, receiveAll, sqsEvent } from '../support/deliver.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asAdmin } from '../support/tokens.ts';

let stack: TestStack;
let api: Handlers['api'];
let broadcaster: Handlers['broadcaster'];
let updater: Handlers['updater'];
let sweep: Handlers['sweep'];

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  sendEvent(api, apiEvent(method, path, body, headers));

/** Messages on the requests queue, visible or in flight. */
const queueDepth = async () => (await tableCounts(stack)).messages;

const stored = async (id: string) =>
  (await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${id}` }, ConsistentRead: true })))
    .Item;

beforeAll(async () => {
  stack = await startTestStack();
  ({ api, broadcaster, updater, sweep } = await loadHandlers(stack, { STALE_AFTER_SECONDS: '1' }));
});

afterAll(async () => {
  await stack?.stop();
});

describe('one transaction through every handler', () => {
  it('api -> broadcaster -> chain -> updater', async () => {
    // prepare / act: submit
    const posted = await call('POST', '/transactions', { to, value: '1000' });
    expect(posted.status).toBe(202);
    expect(posted.headers.location).toBe(`/transactions/${posted.body.id}`);
    expect(posted.body).toMatchObject({
      status: 'pending',
      attempts: 0,
      to,
      value: '1000',
      data: '0x',
      chainId: 31337,
    });
    const id: string = posted.body.id;
    expect((await stored(id))?.status).toBe('pending');

    // act: the broadcaster takes the request
    const sent = await deliver(stack.sqs, stack.queues.requests, broadcaster);
    expect(sent.bodies).toEqual([{ id, attempt: 1, phase: 'broadcast' }]);
    expect(sent.failures).toEqual([]);

    // assess: signed bytes stored before broadcast, and exactly those bytes are on chain
    const item = await stored(id);
    expect(item).toMatchObject({ from: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', nonce: 0 });
    const onChain = await stack.chain.getTransaction({ hash: item?.txHash as Hex });
    expect(onChain.nonce).toBe(0);
    expect(onChain.to?.toLowerCase()).toBe(to.toLowerCase());
    expect(onChain.value).toBe(1000n);
    const raw = await stack.chain.request({
      method: 'eth_getRawTransactionByHash' as 'eth_getTransactionByHash',
      params: [item?.txHash as Hex],
    });
    expect(raw).toBe(item?.rawTx);

    // act: the updater records the outcome
    const applied = await deliver(stack.sqs, stack.queues.responses, updater);
    expect(applied.bodies).toMatchObject([{ id, status: 'success', attempt: 1, txHash: item?.txHash }]);

    const got = await call('GET', `/transactions/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, status: 'success', attempts: 1, txHash: item?.txHash, nonce: 0 });
    expect(got.body.history).toMatchObject([{ attempt: 1, outcome: 'success' }]);
    expect(got.body.rawTx).toBe(item?.rawTx);
  });

  it('a duplicate delivery of one request signs once and puts one transaction on chain', async () => {
    const posted = await call('POST', '/transactions', { to, value: '7' });
    const id: string = posted.body.id;
    const [first] = await receiveAll(stack.sqs, stack.queues.requests);
    expect(first).toBeDefined();
    if (!first) return;
    // The same message delivered in two concurrent batches.
    const results = await Promise.all([
      broadcaster(sqsEvent([first])),
      broadcaster(sqsEvent([{ ...first, MessageId: 'dup' }])),
    ]);
    const failed = results.flatMap((r) => r.batchItemFailures);
    // At most one of them lost the race to sign; it is retried later and then re-sends the stored bytes.
    expect(failed.length).toBeLessThanOrEqual(1);
    const retried = await broadcaster(sqsEvent([first]));
    expect(retried.batchItemFailures).toEqual([]);
    await deleteDelivered(stack.sqs, stack.queues.requests, [first], retried);
    const item = await stored(id);
    const responses = await receiveAll(stack.sqs, stack.queues.responses);
    const hashes = new Set(
      responses
        .map((m) => JSON.parse(m.Body ?? '{}'))
        .filter((b) => b.id === id)
        .map((b) => b.txHash),
    );
    expect([...hashes]).toEqual([item?.txHash]);
    const block = await stack.chain.getTransactionCount({ address: item?.from as Hex });
    expect(block).toBe(Number(item?.nonce) + 1);
    // Delivered as Lambda would: what the updater handled is deleted (the sweep counts what is left in flight).
    await deleteDelivered(stack.sqs, stack.queues.responses, responses, await updater(sqsEvent(responses)));
    expect((await call('GET', `/transactions/${id}`)).body).toMatchObject({ status: 'success', attempts: 1 });
  });
});

describe('rejections leave nothing behind', () => {
  it('a 400 names the fields and stores nothing', async () => {
    const before = await queueDepth();
    const res = await call('POST', '/transactions', { to: '0x12', value: '-5', extra: true });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['extra', 'to', 'value']);
    expect(await queueDepth()).toBe(before);
  });

  it('an unknown id is a 404 in the error shape', async () => {
    const res = await call('GET', '/transactions/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found' });
  });
});

describe('recovery', () => {
  it('the sweep re-enqueues a pending transaction whose message was lost', async () => {
    const posted = await call('POST', '/transactions', { to, value: '3' });
    const id: string = posted.body.id;
    // Lose the message, as a crash of the in-memory queue would.
    await deliver(stack.sqs, stack.queues.requests, async () => ({ batchItemFailures: [] }));
    await sleep(1100); // STALE_AFTER_SECONDS=1
    const swept = await sweep();
    expect(swept.requeued).toBeGreaterThanOrEqual(1);
    const sent = await deliver(stack.sqs, stack.queues.requests, broadcaster);
    expect(sent.bodies).toContainEqual({ id, attempt: 1, phase: 'broadcast' });
    await deliver(stack.sqs, stack.queues.responses, updater);
    expect((await call('GET', `/transactions/${id}`)).body.status).toBe('success');
  });
});

describe('a backlog', () => {
  it('the sweep adds nothing to a requests queue the workers are behind on, and re-enqueues once it drained', async () => {
    const ids: string[] = [];
    for (const value of ['11', '12', '13']) ids.push((await call('POST', '/transactions', { to, value })).body.id);
    const waiting = await receiveAll(stack.sqs, stack.queues.requests);
    // Back to visible at once: the line the workers have not reached.
    await stack.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: stack.queues.requests,
        Entries: waiting.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
      }),
    );
    expect(waiting).toHaveLength(3);
    const before = await queueDepth();
    await sleep(1100); // STALE_AFTER_SECONDS=1: all three are stale, and all three are waiting in the queue
    expect((await sweep()).requeued).toBe(0);
    expect(await queueDepth()).toBe(before);
    // The line is lost (as a purge would): the next sweep, the queue empty, sends each once.
    await deliver(stack.sqs, stack.queues.requests, async () => ({ batchItemFailures: [] }));
    await sleep(1100);
    expect((await sweep()).requeued).toBe(3);
    const sent = await deliver(stack.sqs, stack.queues.requests, broadcaster);
    expect(sent.bodies.map((b) => (b as { id: string }).id).sort()).toEqual([...ids].sort());
    await deliver(stack.sqs, stack.queues.responses, updater);
  });
});

describe('health', () => {
  it('answers 200 when the table answers; the admin’s when the table, queues and chain answer', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, checks: { table: 'ok' } });
    const deep = await call('GET', '/admin/health', undefined, asAdmin);
    expect(deep.status).toBe(200);
    expect(Object.keys(deep.body.checks)).toEqual(
      expect.arrayContaining(['table', 'queue:requests', 'queue:responses', 'chain:31337']),
    );
  });
});

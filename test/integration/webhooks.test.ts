import { setTimeout as sleep } from 'node:timers/promises';
import { type Message, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deadLetterUrlOf } from '../../infra/local/createResources.ts';
import { type Answer as ApiAnswer, callApi } from '../support/callApi.ts';
import { receiveAll, sqsEvent } from '../support/deliver.ts';
import { driveUntil, type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { asAdmin as admin, bearer, asClient as client, tokenEnv } from '../support/tokens.ts';
import { type Receiver, startReceiver } from '../support/webhookReceiver.ts';

// Webhooks end to end on the real emulators and anvil: the api takes a callback URL, the updater hands each
// change it applies to the notifications queue, and the notifier delivers it, signed, to a receiver that
// verifies it with the Standard Webhooks library. Two secrets are valid (a rotation): either verifies.
const secretOld = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const secretNew = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const otherClient = bearer('other-client-token');

let stack: TestStack;
let handlers: Handlers;
let checker: OpenApiChecker;
const receivers: Receiver[] = [];
/** Client `other`'s default callback URL. */
let otherHooks: Receiver;

const call = (method: string, path: string, headers: Record<string, string> = client, body?: unknown) =>
  callApi(handlers.api, method, path, { body, headers, checker });

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function submit(body: Record<string, unknown>, headers = client): Promise<string> {
  const res = await call('POST', '/transactions', { ...headers, prefer: 'respond-async' }, body);
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const view = async (id: string) => (await call('GET', `/transactions/${id}`, admin)).body;
const eventsOf = async (id: string, headers: Record<string, string> = admin): Promise<ApiAnswer> =>
  call('GET', `/transactions/${id}/events`, headers);

/**
 * Runs every function over its queue until `done` holds. Automine puts each transaction in a block at once;
 * a block is mined for each round in which one of `deepen` is `mined`, so it reaches its depth after the
 * tracker saw it mined short of it.
 */
const drive = (done: () => Promise<boolean>, what: string, timeoutMs = 40_000, deepen: string[] = []) =>
  driveUntil(
    stack,
    handlers,
    async () => {
      if ((await Promise.all(deepen.map(view))).some((tx) => tx.status === 'mined')) {
        await stack.testClient.mine({ blocks: 1 });
      }
      return done();
    },
    { timeoutMs, what, pollMs: 200 },
  );

beforeAll(async () => {
  stack = await startTestStack();
  otherHooks = await receiver(secretNew);
  handlers = await loadHandlers(stack, {
    ...tokenEnv,
    API_TOKENS: 'other:other-client-token',
    CALLBACK_URLS: `other=${otherHooks.url}`,
    WEBHOOK_SECRET: `${secretOld} ${secretNew}`,
    // The receivers listen on 127.0.0.1, over http, as on the local stack.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_RETRY_BASE_SECONDS: '1',
    WEBHOOK_MAX_ATTEMPTS: '3',
    CONFIRMATIONS: '2',
    TRACK_INTERVAL_SECONDS: '1',
    RETRY_BASE_SECONDS: '0',
    // A value the signer cannot pay must reach the node here, so that it fails there: the guard is tested apart.
    BALANCE_GUARD: 'off',
  });
  checker = openApiChecker((await callApi(handlers.api, 'GET', '/openapi.json')).body);
});

afterAll(async () => {
  vi.useRealTimers();
  await Promise.all(receivers.map((r) => r.stop()));
  await stack?.stop();
});

describe('webhooks', () => {
  it('a transfer posts success, mined and confirmed, signed; a 500 is retried with the same id and the same body', async () => {
    // The first delivery of each event is refused: each must come again, the same.
    const hooks = await receiver(secretNew, (n) => (n === 1 ? 500 : 204));
    const id = await submit({ to, value: '1', callbackUrl: hooks.url });
    await drive(
      async () => {
        const types = hooks.events().map((e) => e.type);
        return types.filter((t) => t === 'transaction.confirmed').length >= 2;
      },
      'the confirmed event to be delivered twice',
      40_000,
      [id],
    );

    // Every delivery verifies with the library, under either secret of the rotation.
    expect(hooks.got.every((g) => g.verified)).toBe(true);
    const withOld = new Webhook(secretOld);
    for (const g of hooks.got) expect(() => withOld.verify(g.body, g.headers as Record<string, string>)).not.toThrow();

    const byId = new Map<string, typeof hooks.got>();
    for (const g of hooks.got) {
      const key = String(g.headers['webhook-id']);
      byId.set(key, [...(byId.get(key) ?? []), g]);
    }
    const firsts = [...byId.values()].map((copies) => JSON.parse(copies[0]?.body ?? '{}'));
    expect(firsts.map((e) => e.type)).toEqual(['transaction.success', 'transaction.mined', 'transaction.confirmed']);
    expect(firsts.map((e) => e.data.sequence)).toEqual([1, 2, 3]);
    expect(firsts.map((e) => e.data.transaction.status)).toEqual(expect.arrayContaining(['success']));
    for (const e of firsts) expect(e.data.transaction.id).toBe(id);
    // Refused once, delivered the second time: the same id, the same bytes (a receiver dedupes by the id).
    for (const copies of byId.values()) {
      expect(copies).toHaveLength(2);
      expect(copies[1]?.body).toBe(copies[0]?.body);
      expect(copies[1]?.headers['webhook-id']).toBe(copies[0]?.headers['webhook-id']);
    }

    // The events route tells the same story: each delivered after 2 attempts, the first answered 500.
    const events = await eventsOf(id);
    expect(events.status).toBe(200);
    const confirmed = (await view(id)).history.length;
    expect(events.body.items).toHaveLength(confirmed);
    for (const e of events.body.items) {
      expect(e.delivery).toMatchObject({ url: hooks.url, state: 'delivered', attempts: 2 });
      expect(e.delivery.lastAnswer).toMatchObject({ status: 204, error: null });
      expect(byId.has(e.id)).toBe(true);
    }
  });

  it('a replayed or tampered delivery is refused by the receiver’s library', async () => {
    const hooks = await receiver(secretNew);
    await submit({ to, value: '2', callbackUrl: hooks.url });
    await drive(async () => hooks.got.length > 0, 'a delivery');
    const [first] = hooks.got;
    if (!first) throw new Error('no delivery');
    const headers = first.headers as Record<string, string>;
    const verifier = new Webhook(secretNew);
    expect(() => verifier.verify(first.body, headers)).not.toThrow();
    // Tampered: one byte of the body changed.
    expect(() => verifier.verify(first.body.replace('"sequence":1', '"sequence":2'), headers)).toThrow();
    // Replayed ten minutes later: its timestamp is outside the library's tolerance.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10 * 60_000);
    expect(() => verifier.verify(first.body, headers)).toThrow(/timestamp/i);
    vi.useRealTimers();
    // Signed with a secret the receiver does not know: refused.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(first.body, headers)).toThrow();
  });

  it('a transaction over the balance posts failed', async () => {
    const hooks = await receiver(secretNew);
    const id = await submit({ to, value: (10n ** 30n).toString(), gas: '21000', callbackUrl: hooks.url });
    await drive(async () => hooks.events().some((e) => e.type === 'transaction.failed'), 'the failed event');
    const failed = hooks.events().find((e) => e.type === 'transaction.failed');
    expect(failed?.data.transaction).toMatchObject({ id, status: 'failed' });
    expect(failed?.data.transaction.message).toMatch(/insufficient funds/i);
    expect(hooks.got.every((g) => g.verified)).toBe(true);
  });

  it('a redirect is not followed; after its last attempt the event goes to the dead-letter queue, and a redrive delivers it', async () => {
    const elsewhere = await receiver(secretNew);
    let fixed = false;
    const hooks = await receiver(secretNew, () => (fixed ? 204 : { status: 302, location: elsewhere.url }));
    const id = await submit({ to, value: '3', callbackUrl: hooks.url });
    await drive(async () => {
      const first = (await eventsOf(id)).body.items[0];
      return first?.delivery?.state === 'failed';
    }, 'the first event to be given up on');
    expect(elsewhere.got).toHaveLength(0);
    const first = (await eventsOf(id)).body.items[0];
    expect(first.delivery).toMatchObject({ state: 'failed', attempts: 3, nextAttemptAt: null, deliveredAt: null });
    expect(first.delivery.lastAnswer).toMatchObject({ status: 302, error: 'answered 302' });
    const dead = await receiveAll(stack.sqs, deadLetterUrlOf(stack.queues.notifications));
    const mine = dead.filter((m) => JSON.parse(m.Body ?? '{}').event.id === first.id);
    expect(mine).toHaveLength(1);

    // The receiver is fixed, and the operator moves the dead letter back (as a DLQ redrive does): delivered.
    fixed = true;
    const seen = hooks.got.length;
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queues.notifications, MessageBody: mine[0]?.Body }));
    await drive(async () => (await eventsOf(id)).body.items[0]?.delivery?.state === 'delivered', 'the redriven event');
    expect(hooks.got.length).toBe(seen + 1);
    expect(hooks.got.at(-1)?.headers['webhook-id']).toBe(first.id);
    expect((await eventsOf(id)).body.items[0].delivery).toMatchObject({ attempts: 4, lastAnswer: { status: 204 } });
  });

  it('a notification delivered twice posts once, and queues its retry once', async () => {
    const hooks = await receiver(secretNew, (n) => (n === 1 ? 500 : 204));
    const { notifier: _held, ...others } = handlers;
    const id = await submit({ to, value: '9', callbackUrl: hooks.url });
    await driveUntil(stack, others, async () => (await view(id)).status !== 'pending', { what: 'it to be broadcast' });
    const ofThis = (messages: Message[]) =>
      messages.filter((m) => JSON.parse(m.Body ?? '{}').event.transactionId === id);
    const [message] = ofThis(await receiveAll(stack.sqs, stack.queues.notifications));
    if (!message) throw new Error('no notification');
    // The same message twice, one after the other, as SQS may: one POST (answered 500), one retry queued.
    await handlers.notifier(sqsEvent([message]));
    await handlers.notifier(sqsEvent([message]));
    expect(hooks.got).toHaveLength(1);
    expect((await eventsOf(id)).body.items[0].delivery).toMatchObject({ state: 'retrying', attempts: 1 });
    await sleep(1500); // the retry's DelaySeconds (WEBHOOK_RETRY_BASE_SECONDS=1)
    const retries = ofThis(await receiveAll(stack.sqs, stack.queues.notifications));
    expect(retries.map((m) => JSON.parse(m.Body ?? '{}').attempt)).toEqual([2]);
    await handlers.notifier(sqsEvent(retries));
    expect(hooks.got).toHaveLength(2);
    expect((await eventsOf(id)).body.items[0].delivery).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('a receiver that does not answer holds up no other receiver’s event, and times out as a failed attempt', async () => {
    const slow = await receiver(secretNew, () => 'hang');
    const fast = await receiver(secretNew);
    const slowId = await submit({ to, value: '4', callbackUrl: slow.url });
    const fastId = await submit({ to, value: '5', callbackUrl: fast.url });
    // Both broadcast, their success events queued and not yet delivered: then both in one batch of the notifier.
    const { notifier: _held, ...others } = handlers;
    await driveUntil(
      stack,
      others,
      async () => (await view(slowId)).status !== 'pending' && (await view(fastId)).status !== 'pending',
      {
        what: 'both to be broadcast',
      },
    );
    const queued = await receiveAll(stack.sqs, stack.queues.notifications);
    const firstOf = (id: string) => queued.filter((m) => JSON.parse(m.Body ?? '{}').event.transactionId === id);
    const batch = [...firstOf(slowId), ...firstOf(fastId)];
    expect(batch).toHaveLength(2);
    await handlers.notifier(sqsEvent(batch));
    // The fast one was delivered while the slow one's request was still held open; that one timed out.
    expect(fast.got).toHaveLength(1);
    const [held] = slow.got;
    expect(held?.closedAt).toBeDefined();
    expect(fast.got[0]?.at).toBeLessThan(held?.closedAt ?? 0);
    expect((await eventsOf(fastId)).body.items[0]?.delivery?.state).toBe('delivered');
    const lastAnswer = (await eventsOf(slowId)).body.items[0].delivery;
    expect(lastAnswer).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(lastAnswer.lastAnswer).toMatchObject({ status: null, error: 'no answer within 10 s' });
    // Its retries now find nothing listening, and fail at once instead of holding the next tests' batches.
    await slow.stop();
  }, 90_000);

  it('the events are the submitting client’s and the admin’s: another client gets 404, no token 401', async () => {
    const mine = await submit({ to, value: '6' });
    await drive(async () => (await view(mine)).status !== 'pending', 'it to be broadcast');
    const own = await eventsOf(mine, client);
    expect(own.status).toBe(200);
    // No callback URL: the events are there, with no delivery.
    expect(own.body.items[0]).toMatchObject({ sequence: 1, type: 'transaction.success', delivery: null });
    expect((await eventsOf(mine, otherClient)).status).toBe(404);
    expect((await eventsOf(mine, {})).status).toBe(401);
    expect((await eventsOf('no-such-id', admin)).status).toBe(404);
  });

  it('a client’s default callback URL (CALLBACK_URLS) takes its events when its request names none', async () => {
    const id = await submit({ to, value: '7' }, otherClient);
    expect((await view(id)).callbackUrl).toBe(otherHooks.url);
    await drive(async () => otherHooks.got.length > 0, 'the default URL’s delivery');
    expect(otherHooks.events()[0]).toMatchObject({ type: 'transaction.success', data: { transaction: { id } } });
    expect(otherHooks.got[0]?.verified).toBe(true);
    // The request's own URL wins over the default.
    const own = await receiver(secretNew);
    const second = await submit({ to, value: '8', callbackUrl: own.url }, otherClient);
    expect((await view(second)).callbackUrl).toBe(own.url);
  });
});

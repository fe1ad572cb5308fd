import { afterEach, describe, expect, it } from 'vitest';
import { type NotifyDeps, notify } from '../../functions/lib/notifier/notify.ts';
import type { QueueSender } from '../../functions/lib/queue/createQueueSender.ts';
import type { StoredEvent } from '../../functions/lib/store/EventStore.ts';
import { webhookIdOf } from '../../functions/lib/transactions/events.ts';
import type { NotificationMessage } from '../../functions/lib/transactions/messages.ts';
import type { Transaction } from '../../functions/lib/transactions/model.ts';
import { webhookBackoffSeconds } from '../../functions/lib/webhooks/deliveryPolicy.ts';
import { createWebhookSecrets } from '../../functions/lib/webhooks/webhookSecrets.ts';
import { type Answer, type Receiver, startReceiver } from '../support/webhookReceiver.ts';
import { createRecordingQueue, pendingTransaction, silentLogger } from './fakes/broadcastFakes.ts';
import { createFakeEventStore } from './fakes/eventStoreFake.ts';

// The notifier delivers each event at least once, signed, with the same webhook-id and the same body on
// every attempt; it records each attempt before it queues the next, so a message delivered again makes no
// second request and no second chain; after its last attempt the event goes to the dead-letter queue, from
// which a redrive starts a new round of attempts.
// The receiver is a real HTTP server that verifies every request with the Standard Webhooks library.

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const otherSecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const baseSeconds = 7;
const maxAttempts = 3;

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function receiver(answer?: Answer, verifyWith = secret) {
  const r = await startReceiver(verifyWith, answer);
  receivers.push(r);
  return r;
}

/** A queue that records what it is sent, and refuses the next `fail` sends as an SQS outage would. */
function createFlakyQueue() {
  const recording = createRecordingQueue();
  const state = { fail: 0 };
  const queue: QueueSender<NotificationMessage> = {
    async send(body, delaySeconds) {
      if (state.fail > 0) {
        state.fail--;
        throw new Error('SQS is down');
      }
      await recording.queue.send(body, delaySeconds);
    },
  };
  return Object.assign(state, { queue, sent: recording.sent });
}

/** The notifier's world: the transactions given, an empty delivery store, a clock near real time (the receiver checks timestamps). */
function createNotifyWorld(
  transactions: Transaction[],
  { operatorUrl, secrets = [secret] }: { operatorUrl?: string; secrets?: string[] } = {},
) {
  const records = new Map(transactions.map((tx) => [tx.id, structuredClone(tx)]));
  const events = createFakeEventStore();
  const notifications = createFlakyQueue();
  const deadLetters = createFlakyQueue();
  const gaveUp: StoredEvent[] = [];
  let at = Math.floor(Date.now() / 1000) * 1000;
  const deps: NotifyDeps = {
    events: events.store,
    transactions: { get: async (id) => structuredClone(records.get(id)) },
    notifications: notifications.queue,
    deadLetters: deadLetters.queue,
    secrets: createWebhookSecrets({ WEBHOOK_SECRET: secrets }, async () => {
      throw new Error('no Secrets Manager here');
    }),
    policy: { allowPrivate: true, allowHttp: true },
    operatorUrl,
    settings: { maxAttempts, baseSeconds, timeoutMs: 2000 },
    gaveUp: (event) => void gaveUp.push(event),
    logger: silentLogger(),
    now: () => new Date(at),
  };
  return {
    deps,
    records,
    events,
    notifications,
    deadLetters,
    gaveUp,
    advance: (ms: number) => {
      at += ms;
    },
  };
}

/** Runs `count` attempts from `message`, each next one the message the previous queued; the results, and the last message run. */
async function runAttempts(world: ReturnType<typeof createNotifyWorld>, message: NotificationMessage, count: number) {
  const results: string[] = [];
  let current = message;
  for (let n = 1; n <= count; n++) {
    results.push(await notify(world.deps, current));
    const next = world.notifications.sent.at(-1)?.body as NotificationMessage | undefined;
    if (n < count && next) current = next;
  }
  return { results, last: current };
}

const eventAt = '2025-01-01T00:00:05.000Z';
const transactionEvent = (sequence = 1): NotificationMessage['event'] => ({
  kind: 'transaction',
  id: webhookIdOf('tx-1', sequence),
  transactionId: 'tx-1',
  sequence,
  type: 'transaction.success',
  at: eventAt,
});

const succeeded = (callbackUrl: string | undefined) =>
  pendingTransaction({
    status: 'success',
    message: 'accepted by the node',
    attempts: 1,
    history: [{ attempt: 1, at: eventAt, outcome: 'success' }],
    ...(callbackUrl ? { callbackUrl } : {}),
  });

describe('notify: one attempt', () => {
  it('a 2xx is delivered, signed so the receiver’s library verifies it, and nothing is queued', async () => {
    // prepare
    const hooks = await receiver(() => 204);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    // act
    const result = await notify(world.deps, { event: transactionEvent() });
    // assess
    expect(result).toBe('delivered');
    expect(hooks.got).toHaveLength(1);
    expect(hooks.got[0]?.verified).toBe(true);
    expect(hooks.got[0]?.headers['webhook-id']).toBe('evt_tx-1_1');
    expect(hooks.events()[0]).toMatchObject({
      type: 'transaction.success',
      timestamp: eventAt,
      data: { sequence: 1, transaction: { id: 'tx-1', status: 'success', message: 'accepted by the node' } },
    });
    expect(world.notifications.sent).toEqual([]);
    expect(world.deadLetters.sent).toEqual([]);
    expect(world.events.record('evt_tx-1_1')).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('a 500 is retrying: attempt 2 is queued after the first backoff, and its due time is recorded', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    const before = world.deps.now().getTime();
    const result = await notify(world.deps, { event: transactionEvent() });
    expect(result).toBe('retrying');
    const delay = webhookBackoffSeconds(2, baseSeconds);
    expect(world.notifications.sent).toEqual([
      { body: { event: transactionEvent(), attempt: 2 }, delaySeconds: delay },
    ]);
    expect(world.events.record('evt_tx-1_1')).toMatchObject({
      state: 'retrying',
      attempts: 1,
      lastAnswer: { status: 500, error: 'answered 500', excerpt: 'receiver says no' },
      nextAttemptAt: new Date(before + delay * 1000).toISOString(),
    });
    expect(world.deadLetters.sent).toEqual([]);
  });

  it('a URL the policy refuses is an attempt that failed, retried, and no request is made', async () => {
    const hooks = await receiver();
    const world = createNotifyWorld([succeeded(hooks.url)]);
    world.deps.policy = { allowPrivate: false, allowHttp: true };
    expect(await notify(world.deps, { event: transactionEvent() })).toBe('retrying');
    expect(hooks.got).toEqual([]);
    expect(world.events.record('evt_tx-1_1')?.lastAnswer?.error).toMatch(/^refused: .*not a public address/);
    expect(world.notifications.sent).toHaveLength(1);
  });

  it('during a rotation both secrets sign: a receiver that knows only one of them verifies it', async () => {
    const knowsNew = await receiver(() => 204, otherSecret);
    const world = createNotifyWorld([succeeded(knowsNew.url)], { secrets: [secret, otherSecret] });
    expect(await notify(world.deps, { event: transactionEvent() })).toBe('delivered');
    expect(knowsNew.got[0]?.verified).toBe(true);
    expect(String(knowsNew.got[0]?.headers['webhook-signature']).split(' ')).toHaveLength(2);
  });
});

describe('notify: the attempts of one event', () => {
  it('attempt 2 sends the body and webhook-id of attempt 1, though the transaction moved on in between', async () => {
    const hooks = await receiver((n) => (n === 1 ? 500 : 204));
    const world = createNotifyWorld([succeeded(hooks.url)]);
    await notify(world.deps, { event: transactionEvent() });
    const moved = world.records.get('tx-1');
    if (moved) Object.assign(moved, { status: 'mined', message: 'mined in block 9' });
    world.advance(baseSeconds * 1000);
    const [retry] = world.notifications.sent;
    const result = await notify(world.deps, retry?.body as NotificationMessage);
    expect(result).toBe('delivered');
    expect(hooks.got).toHaveLength(2);
    expect(hooks.got[1]?.body).toBe(hooks.got[0]?.body);
    expect(hooks.got[1]?.headers['webhook-id']).toBe(hooks.got[0]?.headers['webhook-id']);
    expect(hooks.got.every((g) => g.verified)).toBe(true);
    expect(hooks.events()[1]?.data.transaction.status).toBe('success');
  });

  it('a message delivered again after its attempt was recorded (its queue send failed) makes no second request, and queues the next attempt once, when it is still due', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    world.notifications.fail = 1;
    const message: NotificationMessage = { event: transactionEvent() };
    await expect(notify(world.deps, message)).rejects.toThrow('SQS is down');
    expect(world.events.record('evt_tx-1_1')).toMatchObject({ attempts: 1, state: 'retrying' });
    // SQS delivers the message again, 3 s later.
    world.advance(3000);
    const result = await notify(world.deps, message);
    expect(result).toBe('skipped');
    expect(hooks.got).toHaveLength(1);
    expect(world.notifications.sent).toEqual([
      { body: { event: transactionEvent(), attempt: 2 }, delaySeconds: webhookBackoffSeconds(2, baseSeconds) - 3 },
    ]);
  });

  it('an older attempt’s message delivered again makes no request and queues nothing', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    const first: NotificationMessage = { event: transactionEvent() };
    await notify(world.deps, first);
    await notify(world.deps, world.notifications.sent[0]?.body as NotificationMessage);
    expect(world.events.record('evt_tx-1_1')?.attempts).toBe(2);
    const queued = world.notifications.sent.length;
    expect(await notify(world.deps, first)).toBe('skipped');
    expect(hooks.got).toHaveLength(2);
    expect(world.notifications.sent).toHaveLength(queued);
  });

  it('a message of a delivered event delivered again sends nothing', async () => {
    const hooks = await receiver(() => 204);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    const message: NotificationMessage = { event: transactionEvent() };
    await notify(world.deps, message);
    expect(await notify(world.deps, message)).toBe('skipped');
    expect(hooks.got).toHaveLength(1);
    expect(world.notifications.sent).toEqual([]);
  });

  it('a copy of a failed attempt’s message delivered again after its next attempt was queued makes no request and queues nothing', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    const message: NotificationMessage = { event: transactionEvent() };
    await notify(world.deps, message);
    expect(world.notifications.sent).toHaveLength(1);
    expect(await notify(world.deps, message)).toBe('skipped');
    expect(hooks.got).toHaveLength(1);
    expect(world.notifications.sent).toHaveLength(1);
  });

  it('the last attempt failing gives up: failed, into the dead-letter queue marked for a redrive, gaveUp once', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    const { results, last } = await runAttempts(world, { event: transactionEvent() }, maxAttempts);
    expect(results).toEqual(['retrying', 'retrying', 'failed']);
    expect(last).toEqual({ event: transactionEvent(), attempt: maxAttempts });
    expect(hooks.got).toHaveLength(maxAttempts);
    expect(new Set(hooks.got.map((g) => g.headers['webhook-id']))).toEqual(new Set(['evt_tx-1_1']));
    expect(world.notifications.sent.map((s) => s.delaySeconds)).toEqual([
      webhookBackoffSeconds(2, baseSeconds),
      webhookBackoffSeconds(3, baseSeconds),
    ]);
    expect(world.deadLetters.sent).toEqual([
      { body: { event: transactionEvent(), attempt: maxAttempts, redriven: true }, delaySeconds: undefined },
    ]);
    expect(world.gaveUp).toHaveLength(1);
    expect(world.gaveUp[0]).toMatchObject({
      id: 'evt_tx-1_1',
      state: 'failed',
      attempts: maxAttempts,
      lastAnswer: { status: 500 },
    });
    // The last message delivered again: nothing more.
    expect(await notify(world.deps, { event: transactionEvent(), attempt: maxAttempts })).toBe('skipped');
    expect(hooks.got).toHaveLength(maxAttempts);
    expect(world.deadLetters.sent).toHaveLength(1);
    expect(world.gaveUp).toHaveLength(1);
  });

  it('the last attempt’s message delivered again after its dead-letter send failed tries once more and reaches the dead-letter queue', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    const last: NotificationMessage = { event: transactionEvent(), attempt: maxAttempts };
    world.deadLetters.fail = 1;
    await expect(notify(world.deps, last)).rejects.toThrow('SQS is down');
    expect(world.events.record('evt_tx-1_1')?.state).toBe('retrying'); // not given up: it is nowhere yet
    expect(await notify(world.deps, last)).toBe('failed');
    expect(world.deadLetters.sent).toEqual([{ body: { ...last, redriven: true }, delaySeconds: undefined }]);
    expect(world.gaveUp).toHaveLength(1);
  });

  it('a dead letter moved back (redriven) starts a new round: as many attempts again, the backoff from its start', async () => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    await runAttempts(world, { event: transactionEvent() }, maxAttempts);
    const dead = world.deadLetters.sent[0]?.body as NotificationMessage;
    world.notifications.sent.length = 0;
    // act
    const result = await notify(world.deps, dead);
    // assess
    expect(result).toBe('retrying');
    expect(hooks.got).toHaveLength(maxAttempts + 1);
    expect(hooks.got.at(-1)?.body).toBe(hooks.got[0]?.body);
    expect(world.events.record('evt_tx-1_1')).toMatchObject({ state: 'retrying', attempts: maxAttempts + 1 });
    expect(world.notifications.sent).toEqual([
      {
        body: { event: transactionEvent(), attempt: maxAttempts + 2 },
        delaySeconds: webhookBackoffSeconds(2, baseSeconds),
      },
    ]);
    // The round runs out as the first did: into the dead-letter queue again, told once more.
    const { results } = await runAttempts(
      world,
      world.notifications.sent[0]?.body as NotificationMessage,
      maxAttempts - 1,
    );
    expect(results).toEqual(['retrying', 'failed']);
    expect(hooks.got).toHaveLength(2 * maxAttempts);
    expect(world.deadLetters.sent.map((d) => d.body)).toEqual([
      { event: transactionEvent(), attempt: maxAttempts, redriven: true },
      { event: transactionEvent(), attempt: 2 * maxAttempts, redriven: true },
    ]);
    expect(world.gaveUp).toHaveLength(2);
  });

  it.each([
    ['after the first', false],
    ['at the same time', true],
  ])('a second copy of a redriven dead letter, %s, starts no second round', async (_when, together) => {
    const hooks = await receiver(() => 500);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    await runAttempts(world, { event: transactionEvent() }, maxAttempts);
    const dead = world.deadLetters.sent[0]?.body as NotificationMessage;
    world.notifications.sent.length = 0;
    const results = together
      ? await Promise.all([notify(world.deps, dead), notify(world.deps, dead)])
      : [await notify(world.deps, dead), await notify(world.deps, dead)];
    expect(results.sort()).toEqual(['retrying', 'skipped']);
    expect(hooks.got).toHaveLength(maxAttempts + 1);
    expect(world.notifications.sent).toHaveLength(1);
  });

  it('a redrive of an event that was delivered sends nothing', async () => {
    const hooks = await receiver(() => 204);
    const world = createNotifyWorld([succeeded(hooks.url)]);
    await notify(world.deps, { event: transactionEvent() });
    expect(await notify(world.deps, { event: transactionEvent(), attempt: maxAttempts, redriven: true })).toBe(
      'skipped',
    );
    expect(hooks.got).toHaveLength(1);
  });
});

describe('notify: the body', () => {
  it('a transaction whose view is too large for the record is sent without its signed bytes', async () => {
    const hooks = await receiver(() => 204);
    const bytes = `0x${'ab'.repeat(150_000)}`; // 300 000 characters: over the 256 KiB a body is kept whole
    const world = createNotifyWorld([{ ...succeeded(hooks.url), rawTx: bytes, txHash: `0x${'cd'.repeat(32)}` }]);
    expect(await notify(world.deps, { event: transactionEvent() })).toBe('delivered');
    const [got] = hooks.got;
    expect(got?.body.length).toBeLessThan(256 * 1024);
    expect(got?.verified).toBe(true);
    const sent = JSON.parse(got?.body ?? '{}');
    expect(sent.data.transaction).toMatchObject({ id: 'tx-1', rawTx: null, txHash: `0x${'cd'.repeat(32)}` });
  });

  it('a transaction of ordinary size is sent with its signed bytes', async () => {
    const hooks = await receiver(() => 204);
    const bytes = `0x${'ab'.repeat(100)}`;
    const world = createNotifyWorld([{ ...succeeded(hooks.url), rawTx: bytes, txHash: `0x${'cd'.repeat(32)}` }]);
    await notify(world.deps, { event: transactionEvent() });
    expect(JSON.parse(hooks.got[0]?.body ?? '{}').data.transaction.rawTx).toBe(bytes);
  });
});

describe('notify: where there is nowhere to send it', () => {
  it('a transaction without a callback URL is skipped: nothing sent, nothing recorded', async () => {
    const hooks = await receiver();
    const world = createNotifyWorld([succeeded(undefined)]);
    expect(await notify(world.deps, { event: transactionEvent() })).toBe('skipped');
    expect(hooks.got).toEqual([]);
    expect(world.events.calls.begin).toBe(0);
    expect(world.notifications.sent).toEqual([]);
    expect(world.deadLetters.sent).toEqual([]);
  });

  it('an operator event without an operator URL is skipped', async () => {
    const world = createNotifyWorld([]);
    const event = { kind: 'operator', id: 'op_1', type: 'signer.low_balance', at: eventAt, data: {} } as const;
    expect(await notify(world.deps, { event })).toBe('skipped');
    expect(world.events.calls.begin).toBe(0);
    expect(world.notifications.sent).toEqual([]);
  });

  it('an operator event goes to the operator URL, its body {type, timestamp, data}, signed', async () => {
    const operator = await receiver(() => 200);
    const world = createNotifyWorld([], { operatorUrl: operator.url });
    const data = { chainId: 1, address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', balance: '5' };
    const event = { kind: 'operator', id: 'op_low_1', type: 'signer.low_balance', at: eventAt, data } as const;
    expect(await notify(world.deps, { event })).toBe('delivered');
    expect(operator.got).toHaveLength(1);
    expect(JSON.parse(operator.got[0]?.body ?? '')).toEqual({ type: 'signer.low_balance', timestamp: eventAt, data });
    expect(operator.got[0]?.headers['webhook-id']).toBe('op_low_1');
    expect(operator.got[0]?.verified).toBe(true);
  });
});

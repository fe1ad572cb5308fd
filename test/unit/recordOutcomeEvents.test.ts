import { describe, expect, it } from 'vitest';
import type { Applied } from '../../functions/lib/store/OutcomeWrites.ts';
import { transactionEventTypes, webhookIdOf } from '../../functions/lib/transactions/events.ts';
import type { NotificationMessage, ResponseMessage } from '../../functions/lib/transactions/messages.ts';
import type { Attempt, Transaction, TransactionOutcome } from '../../functions/lib/transactions/model.ts';
import { type RecordOutcomeDeps, recordOutcome } from '../../functions/lib/updater/recordOutcome.ts';
import { createRecordingQueue, pendingTransaction } from './fakes/broadcastFakes.ts';

// Each status change the updater applies adds one history entry, and each entry is one webhook event:
// its place in the history is its sequence and names its webhook-id. The record keeps how many of its
// events were handed to the notifications queue (`announced`); every response the updater handles, applied,
// refreshed or ignored, hands on the entries past that mark, and then moves it. No change goes untold.

const now = new Date('2025-01-01T00:00:10.000Z');
const callbackUrl = 'https://hooks.example/in';

/** What the table answers the next write: applied (adding `appends`, by default the response's entry; false: a refresh), or ignored. */
type NextWrite = { result: 'applied'; appends?: Attempt | false } | { result: 'ignored' };

/**
 * The updater's view of one transaction in the table: the write answers as `next` says and, applied,
 * adds its entry to the history; the mark of events handed on only moves forward; reads are counted.
 */
function createWorld(record: Transaction, { notifications = true }: { notifications?: boolean } = {}) {
  const world = {
    record: structuredClone(record),
    next: { result: 'applied' } as NextWrite,
    reads: [] as string[],
    marks: [] as number[],
  };
  const transactions: RecordOutcomeDeps['transactions'] = {
    async apply(outcome: TransactionOutcome, _dueAt: number): Promise<Applied> {
      const next = world.next;
      if (next.result === 'ignored') return { result: 'ignored' };
      const entry = next.appends ?? { attempt: outcome.attempt, at: outcome.at, outcome: outcome.status };
      if (entry) world.record.history.push(entry);
      return { result: 'applied', tx: structuredClone(world.record), appended: entry !== false };
    },
    async get(id) {
      world.reads.push(id);
      return structuredClone(world.record);
    },
    async markAnnounced(_id, through) {
      world.marks.push(through);
      world.record.announced = Math.max(world.record.announced ?? 0, through); // -- only forward
    },
  };
  const tracking = createRecordingQueue();
  const events = createRecordingQueue();
  const flaky = { fail: 0 };
  const queue = {
    async send(body: NotificationMessage, delaySeconds?: number) {
      if (flaky.fail > 0) {
        flaky.fail--;
        throw new Error('SQS is down');
      }
      await events.queue.send(body, delaySeconds);
    },
  };
  const deps: RecordOutcomeDeps = {
    transactions,
    tracking: tracking.queue,
    ...(notifications ? { notifications: queue } : {}),
    staleAfterMs: 60_000,
    trackAfterSeconds: () => 3,
    newToken: () => 'token-1',
  };
  /** The sequence numbers of the events sent, in order. */
  const sequences = () =>
    events.sent.map((s) => {
      const { event } = s.body as NotificationMessage;
      return event.kind === 'transaction' ? event.sequence : undefined;
    });
  return Object.assign(world, { deps, events, tracking, flaky, sequences });
}

const first: Attempt = { attempt: 1, at: '2025-01-01T00:00:01.000Z', outcome: 'retrying', error: 'nonce too low' };
const second: Attempt = { attempt: 2, at: '2025-01-01T00:00:05.000Z', outcome: 'success' };
const third: Attempt = { attempt: 2, at: '2025-01-01T00:00:08.000Z', outcome: 'mined', blockNumber: 9 };

/** The transaction with `history` recorded, the first `announced` of its events handed on. */
const recorded = (history: Attempt[], announced: number, overrides: Partial<Transaction> = {}): Transaction =>
  pendingTransaction({ status: 'retrying', history, announced, ...overrides });

/** The response that made `entry`. */
const response = (entry: Attempt, overrides: Partial<ResponseMessage> = {}): ResponseMessage => ({
  id: 'tx-1',
  status: entry.outcome === 'reorged' || entry.outcome === 'stuck' ? 'success' : entry.outcome,
  attempt: entry.attempt,
  at: entry.at,
  message: 'from the broadcaster',
  ...overrides,
});

describe('recordOutcome: the webhook events of a change', () => {
  it('an applied change that added a history entry sends its event, sequence and webhook-id from its place, and moves the mark', async () => {
    // prepare
    const world = createWorld(recorded([first], 1, { callbackUrl }));
    // act
    await recordOutcome(world.deps, response(second), now);
    // assess
    expect(world.events.sent).toEqual([
      {
        body: {
          event: {
            kind: 'transaction',
            id: webhookIdOf('tx-1', 2),
            transactionId: 'tx-1',
            sequence: 2,
            type: 'transaction.success',
            at: second.at,
          },
        },
        delaySeconds: undefined,
      },
    ]);
    expect(world.record.announced).toBe(2);
    expect(world.reads).toEqual([]); // the write answered the record as it now is
  });

  it.each(Object.entries(transactionEventTypes))('a %s entry is a %s event', async (outcome, type) => {
    const entry = { attempt: 1, at: '2025-01-01T00:00:01.000Z', outcome } as Attempt;
    const world = createWorld(recorded([], 0, { callbackUrl }));
    world.next = { result: 'applied', appends: entry };
    await recordOutcome(world.deps, response(entry, { status: 'retrying' }), now);
    expect(world.events.sent.map((s) => s.body)).toEqual([
      { event: expect.objectContaining({ id: 'evt_tx-1_1', sequence: 1, type, at: entry.at }) },
    ]);
  });

  it('a transaction without a callback URL sends no event and moves no mark', async () => {
    const world = createWorld(recorded([first], 1));
    await recordOutcome(world.deps, response(second), now);
    expect(world.events.sent).toEqual([]);
    expect(world.marks).toEqual([]);
  });

  it('entries handed on already are not sent again', async () => {
    const world = createWorld(recorded([first, second], 2, { callbackUrl }));
    await recordOutcome(world.deps, response(third), now);
    expect(world.sequences()).toEqual([3]);
  });

  it('a refresh (no entry added) sends nothing when every entry was handed on', async () => {
    const world = createWorld(recorded([first, second], 2, { callbackUrl }));
    world.next = { result: 'applied', appends: false };
    await recordOutcome(world.deps, response(second), now);
    expect(world.events.sent).toEqual([]);
    expect(world.marks).toEqual([]);
  });

  it('a refresh sends an entry not handed on yet (a retrying response whose send failed, come back)', async () => {
    const world = createWorld(recorded([first, second], 1, { callbackUrl }));
    world.next = { result: 'applied', appends: false };
    await recordOutcome(world.deps, response(second), now);
    expect(world.sequences()).toEqual([2]);
    expect(world.record.announced).toBe(2);
  });

  it('a send that fails moves no mark; the repeat of that response, ignored, sends the event', async () => {
    const world = createWorld(recorded([first], 1, { callbackUrl }));
    world.flaky.fail = 1;
    await expect(recordOutcome(world.deps, response(second), now)).rejects.toThrow('SQS is down');
    expect(world.record.announced).toBe(1);
    // SQS delivers the response again: the table has it already.
    world.next = { result: 'ignored' };
    expect(await recordOutcome(world.deps, response(second), now)).toBe('ignored');
    expect(world.events.sent.map((s) => s.body)).toEqual([
      { event: expect.objectContaining({ id: webhookIdOf('tx-1', 2), sequence: 2, type: 'transaction.success' }) },
    ]);
    expect(world.record.announced).toBe(2);
  });

  it('an event whose send failed is still sent when a later change was applied before the repeat came', async () => {
    // At cc64921 an ignored repeat sent only the record's last entry, and an applied change only its own:
    // event 2 was never sent. The mark (d093375) hands on every entry past it.
    const world = createWorld(recorded([first], 1, { callbackUrl }));
    world.flaky.fail = 1;
    await expect(recordOutcome(world.deps, response(second), now)).rejects.toThrow('SQS is down');
    // The tracker's report lands first: mined.
    await recordOutcome(world.deps, response(third), now);
    // Then the broadcaster's response comes again, and is ignored.
    world.next = { result: 'ignored' };
    await recordOutcome(world.deps, response(second), now);
    expect(world.sequences().sort()).toEqual([2, 3]);
    expect(world.record.announced).toBe(3);
  });

  it('an ignored response sends nothing when every entry was handed on', async () => {
    const world = createWorld(recorded([first, second], 2, { callbackUrl }));
    world.next = { result: 'ignored' };
    await recordOutcome(world.deps, response(first), now);
    expect(world.events.sent).toEqual([]);
  });

  it('an ignored response reads the record once, though both the events and the tracking need it', async () => {
    const world = createWorld(recorded([first, second], 1, { callbackUrl, trackToken: 'token-0' }));
    world.next = { result: 'ignored' };
    await recordOutcome(world.deps, response(second), now);
    expect(world.reads).toEqual(['tx-1']);
    expect(world.sequences()).toEqual([2]);
    expect(world.tracking.sent).toEqual([{ body: { id: 'tx-1', chainId: 31337, token: 'token-0' }, delaySeconds: 3 }]);
  });

  it('without a notifications queue, nothing is sent, no mark moves, and an ignored response reads nothing more', async () => {
    const ignored = createWorld(recorded([first, second], 1, { callbackUrl }), { notifications: false });
    ignored.next = { result: 'ignored' };
    await recordOutcome(ignored.deps, response(second, { status: 'failed' }), now);
    expect(ignored.reads).toEqual([]);
    const applied = createWorld(recorded([first], 1, { callbackUrl }), { notifications: false });
    await recordOutcome(applied.deps, response(second), now);
    expect(applied.reads).toEqual([]);
    expect(applied.events.sent).toEqual([]);
    expect([...ignored.marks, ...applied.marks]).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { QueueSender } from '../../functions/lib/queue/createQueueSender.ts';
import type { StaleTransaction } from '../../functions/lib/store/TransactionReads.ts';
import { backlogStalePeriods, type RequeueDeps, requeueStale } from '../../functions/lib/sweep/requeueStale.ts';
import type { Transaction } from '../../functions/lib/transactions/model.ts';
import { pendingTransaction, silentLogger } from './fakes/broadcastFakes.ts';

const now = Date.parse('2025-01-01T00:10:00.000Z');
const staleAfterMs = 60_000;
const maxAttempts = 3;
const dueAt = now + staleAfterMs;

type Sent = { queue: 'requests' | 'tracking'; body: { id: string } };

/**
 * The sweep's world: the records given, the `open` index entries found due (as given), and every call
 * it makes in one ordered log, so a test can tell which came first. `failFor` makes the sends for those
 * ids fail, as a queue that refuses them does.
 */
function createWorld(records: Transaction[], due: StaleTransaction[], { failFor = [] as string[] } = {}) {
  const table = new Map(records.map((tx) => [tx.id, structuredClone(tx)]));
  const log: string[] = [];
  const sent: Sent[] = [];
  const reads: string[] = [];
  const queue = <T extends { id: string }>(name: Sent['queue']): QueueSender<T> => ({
    async send(body) {
      if (failFor.includes(body.id)) throw new Error(`${name} refused ${body.id}`);
      log.push(`${name}:${body.id}`);
      sent.push({ queue: name, body });
    },
  });
  let tokens = 0;
  const deps: RequeueDeps = {
    transactions: {
      async findStale() {
        return due;
      },
      async get(id) {
        reads.push(id);
        return structuredClone(table.get(id));
      },
      async postpone(id, at) {
        log.push(`postpone:${id}:${at}`);
      },
      async postponeForBacklog(id, at, backlog) {
        const tx = table.get(id) as (Transaction & { backlogPostpones?: number; lastBacklog?: number }) | undefined;
        if (!tx) return undefined;
        const previousBacklog = tx.lastBacklog;
        tx.backlogPostpones = (tx.backlogPostpones ?? 0) + 1;
        tx.lastBacklog = backlog;
        log.push(`postpone:${id}:${at}`);
        return { times: tx.backlogPostpones, previousBacklog };
      },
      async restartTracking(id, token, at) {
        const tx = table.get(id);
        // -- as the store: only what the node took is tracked
        if (!tx || (tx.status !== 'success' && tx.status !== 'mined')) return false;
        tx.trackToken = token;
        log.push(`restartTracking:${id}:${token}:${at}`);
        return true;
      },
    },
    requests: queue('requests'),
    tracking: queue('tracking'),
    logger: silentLogger(),
    newToken: () => `fresh-${++tokens}`,
  };
  return { deps, table, log, sent, reads };
}

const sweep = (deps: RequeueDeps) => requeueStale(deps, { now, staleAfterMs, maxAttempts });

describe('requeueStale: open transactions the broadcaster has', () => {
  it('a pending or retrying one with attempts left goes to the requests queue for its next attempt, then is postponed', async () => {
    const world = createWorld(
      [pendingTransaction({ id: 'a' }), pendingTransaction({ id: 'b', status: 'retrying', attempts: 2 })],
      [
        { id: 'a', attempts: 0, status: 'pending' },
        { id: 'b', attempts: 2, status: 'retrying' },
      ],
    );
    expect(await sweep(world.deps)).toBe(2);
    expect(world.sent).toEqual([
      { queue: 'requests', body: { id: 'a', attempt: 1, phase: 'broadcast' } },
      { queue: 'requests', body: { id: 'b', attempt: 3, phase: 'broadcast' } },
    ]);
    expect(world.log.indexOf('requests:b')).toBeLessThan(world.log.indexOf(`postpone:b:${dueAt}`));
    expect(world.log).toContain(`postpone:a:${dueAt}`);
    expect(world.reads).toEqual([]);
  });

  it('one whose attempts are spent is settled, not sent again', async () => {
    const world = createWorld(
      [pendingTransaction({ status: 'retrying', attempts: 3 })],
      [{ id: 'tx-1', attempts: 3, status: 'retrying' }],
    );
    await sweep(world.deps);
    expect(world.sent).toEqual([{ queue: 'requests', body: { id: 'tx-1', attempt: 3, phase: 'settle' } }]);
    expect(world.log).toContain(`postpone:tx-1:${dueAt}`);
  });
});

describe('requeueStale: transactions the node took', () => {
  it.each(['success', 'mined'] as const)(
    'a quiet %s one gets a new tracking, and never the requests queue',
    async (status) => {
      const world = createWorld(
        [pendingTransaction({ status, attempts: 1, trackToken: 'old' })],
        [{ id: 'tx-1', attempts: 1, status }],
      );
      expect(await sweep(world.deps)).toBe(1);
      expect(world.table.get('tx-1')?.trackToken).toBe('fresh-1');
      // The token is on the record before the first look reads it.
      expect(world.log).toEqual([`restartTracking:tx-1:fresh-1:${dueAt}`, 'tracking:tx-1']);
      expect(world.sent).toEqual([{ queue: 'tracking', body: { id: 'tx-1', token: 'fresh-1' } }]);
    },
  );

  it('restarted on a slow chain, it is due again only after a few of its looks (trackedStaleAfterMs)', async () => {
    const world = createWorld(
      [pendingTransaction({ status: 'success', attempts: 1, trackToken: 'old' })],
      [{ id: 'tx-1', attempts: 1, status: 'success' }],
    );
    await requeueStale(world.deps, { now, staleAfterMs, maxAttempts: 3, trackedStaleAfterMs: 4 * staleAfterMs });
    expect(world.log[0]).toBe(`restartTracking:tx-1:fresh-1:${now + 4 * staleAfterMs}`);
  });

  it('one that is no longer tracked when the token is written starts no tracking', async () => {
    // The index still says success; the record has been confirmed since.
    const world = createWorld(
      [pendingTransaction({ status: 'confirmed', attempts: 1 })],
      [{ id: 'tx-1', attempts: 1, status: 'success' }],
    );
    await sweep(world.deps);
    expect(world.sent).toEqual([]);
  });
});

describe('requeueStale: an index made before it copied the status', () => {
  it('reads the status from the record: a tracked one gets a tracking, an open one the requests queue', async () => {
    const world = createWorld(
      [pendingTransaction({ id: 'took', status: 'success', attempts: 1 }), pendingTransaction({ id: 'open' })],
      [
        { id: 'took', attempts: 1 },
        { id: 'open', attempts: 0 },
      ],
    );
    await sweep(world.deps);
    expect(world.reads.sort()).toEqual(['open', 'took']);
    expect(world.sent).toEqual(
      expect.arrayContaining([
        { queue: 'tracking', body: { id: 'took', token: 'fresh-1' } },
        { queue: 'requests', body: { id: 'open', attempt: 1, phase: 'broadcast' } },
      ]),
    );
    expect(world.sent).toHaveLength(2);
  });
});

describe('requeueStale: failures', () => {
  it('one failed send does not stop the others; the one that failed is not postponed', async () => {
    const world = createWorld(
      [
        pendingTransaction({ id: 'a' }),
        pendingTransaction({ id: 'b' }),
        pendingTransaction({ id: 'c', status: 'mined', attempts: 1 }),
        pendingTransaction({ id: 'd', status: 'success', attempts: 1 }),
      ],
      [
        { id: 'a', attempts: 0, status: 'pending' },
        { id: 'b', attempts: 0, status: 'pending' },
        { id: 'c', attempts: 1, status: 'mined' },
        { id: 'd', attempts: 1, status: 'success' },
      ],
      { failFor: ['a', 'c'] },
    );
    expect(await sweep(world.deps)).toBe(2);
    expect(world.sent.map((s) => `${s.queue}:${s.body.id}`).sort()).toEqual(['requests:b', 'tracking:d']);
    expect(world.log.filter((l) => l.startsWith('postpone:'))).toEqual([`postpone:b:${dueAt}`]);
  });
});

describe('a backlog on the requests queue', () => {
  const pending = (id: string): StaleTransaction => ({ id, attempts: 1, status: 'pending' });

  it('is not added to: a stale transaction not yet broadcast is postponed, not sent again', async () => {
    const records = [pendingTransaction({ id: 'tx-a' }), pendingTransaction({ id: 'tx-b' })];
    const world = createWorld(records, [pending('tx-a'), pending('tx-b')]);
    const requeued = await requeueStale(
      { ...world.deps, backlog: async () => 250 },
      { now, staleAfterMs, maxAttempts },
    );
    expect(requeued).toBe(0);
    expect(world.sent).toEqual([]);
    // 250 waiting: three stale periods before the sweep looks at them again.
    const later = now + 3 * staleAfterMs;
    expect(world.log.sort()).toEqual([`postpone:tx-a:${later}`, `postpone:tx-b:${later}`]);
  });

  it('postpones by a stale period per hundred waiting, at least one and at most sixteen', () => {
    expect([1, 100, 101, 250, 1600, 40_000].map(backlogStalePeriods)).toEqual([1, 1, 2, 3, 16, 16]);
  });

  it('sends one again all the same after it was left to a queue that never drains ten times, and only then', async () => {
    // prepare: its message lost (say, in the DLQ) while the line stays busy
    const world = createWorld([pendingTransaction({ id: 'tx-a' })], [pending('tx-a')]);
    const busy = { ...world.deps, backlog: async () => 250 };
    // act
    const perSweep: number[] = [];
    for (let sweep = 1; sweep <= 20; sweep++)
      perSweep.push(await requeueStale(busy, { now, staleAfterMs, maxAttempts }));
    // assess: sent on the 10th and the 20th sweep, postponed on every one
    expect(perSweep.flatMap((n, i) => (n > 0 ? [i + 1] : []))).toEqual([10, 20]);
    expect(world.sent).toEqual([
      { queue: 'requests', body: { id: 'tx-a', attempt: 2, phase: 'broadcast' } },
      { queue: 'requests', body: { id: 'tx-a', attempt: 2, phase: 'broadcast' } },
    ]);
    expect(world.log.filter((l) => l.startsWith('postpone:'))).toHaveLength(20);
  });

  it('sends none again while the line shrinks from one sweep to the next: the workers are working through it', async () => {
    // prepare: a line of 3000 worked through at 10 a sweep, for 40 sweeps
    const world = createWorld([pendingTransaction({ id: 'tx-a' })], [pending('tx-a')]);
    let backlog = 3000;
    const draining = { ...world.deps, backlog: async () => (backlog -= 10) };
    // act
    let sent = 0;
    for (let sweep = 1; sweep <= 40; sweep++) sent += await requeueStale(draining, { now, staleAfterMs, maxAttempts });
    // assess: postponed each time, never sent again
    expect(sent).toBe(0);
    expect(world.sent).toEqual([]);
    expect(world.log.filter((l) => l.startsWith('postpone:'))).toHaveLength(40);
  });

  it('once drained, or when the queue does not answer, lets the sweep re-enqueue as before', async () => {
    for (const backlog of [
      async () => 0,
      async () => undefined,
      async (): Promise<number> => Promise.reject(new Error('down')),
    ]) {
      const world = createWorld([pendingTransaction({ id: 'tx-a' })], [pending('tx-a')]);
      expect(await requeueStale({ ...world.deps, backlog }, { now, staleAfterMs, maxAttempts })).toBe(1);
      expect(world.sent).toEqual([{ queue: 'requests', body: { id: 'tx-a', attempt: 2, phase: 'broadcast' } }]);
    }
  });

  it('still restarts the tracking of a quiet tracked transaction (the tracking queue is another line)', async () => {
    const tracked = { ...pendingTransaction({ id: 'tx-t' }), status: 'success' as const };
    const world = createWorld([tracked], [{ id: 'tx-t', attempts: 1, status: 'success' }]);
    expect(await requeueStale({ ...world.deps, backlog: async () => 99 }, { now, staleAfterMs, maxAttempts })).toBe(1);
    expect(world.sent.map((s) => s.queue)).toEqual(['tracking']);
  });
});

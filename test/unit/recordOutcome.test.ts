import { describe, expect, it } from 'vitest';
import type { ResponseMessage } from '../../functions/lib/transactions/messages.ts';
import type { Transaction, TransactionOutcome } from '../../functions/lib/transactions/model.ts';
import { type RecordOutcomeDeps, recordOutcome } from '../../functions/lib/updater/recordOutcome.ts';
import { createRecordingQueue, pendingTransaction } from './fakes/broadcastFakes.ts';

const now = new Date('2025-01-01T00:00:00.000Z');
const staleAfterMs = 120_000;
const trackAfterSeconds = 3;

/** Outcome writes that record what they were asked and answer `answer` (applied unless told otherwise). */
function createFakeOutcomeWrites(answer: 'applied' | 'ignored' = 'applied', record?: Transaction) {
  const calls: Array<{ outcome: TransactionOutcome; dueAt: number }> = [];
  const writes: RecordOutcomeDeps['transactions'] = {
    async apply(outcome, dueAt) {
      calls.push({ outcome, dueAt });
      const tx = record ?? pendingTransaction({ id: outcome.id });
      return answer === 'applied' ? { result: 'applied', tx, appended: false } : { result: 'ignored' };
    },
    async get() {
      return record && structuredClone(record);
    },
    async markAnnounced() {},
  };
  return { writes, calls };
}

function createWorld(answer: 'applied' | 'ignored' = 'applied', record?: Transaction) {
  const store = createFakeOutcomeWrites(answer, record);
  const tracking = createRecordingQueue();
  let tokens = 0;
  const deps: RecordOutcomeDeps = {
    transactions: store.writes,
    tracking: tracking.queue,
    staleAfterMs,
    trackAfterSeconds: () => trackAfterSeconds,
    newToken: () => `token-${++tokens}`,
  };
  return { deps, store, tracking };
}

const response = (overrides: Partial<ResponseMessage> = {}): ResponseMessage => ({
  id: 'tx-1',
  status: 'success',
  attempt: 1,
  at: now.toISOString(),
  message: 'accepted by the node',
  txHash: `0x${'ab'.repeat(32)}`,
  ...overrides,
});

describe('recordOutcome: the tracking it starts', () => {
  it('an applied success from the broadcaster starts tracking with the token it wrote on the record', async () => {
    // prepare
    const world = createWorld('applied');
    // act
    const result = await recordOutcome(world.deps, response(), now);
    // assess
    expect(result).toBe('applied');
    expect(world.store.calls).toHaveLength(1);
    expect(world.store.calls[0]?.outcome).toMatchObject({ id: 'tx-1', status: 'success', trackToken: 'token-1' });
    expect(world.tracking.sent).toEqual([{ body: { id: 'tx-1', token: 'token-1' }, delaySeconds: trackAfterSeconds }]);
  });

  it('without a token source, the token is a fresh UUID, the same on the record and on the message', async () => {
    const world = createWorld('applied');
    const { newToken: _unused, ...deps } = world.deps;
    await recordOutcome(deps, response(), now);
    const written = world.store.calls[0]?.outcome.trackToken;
    expect(written).toMatch(/^[0-9a-f-]{36}$/);
    expect(world.tracking.sent).toEqual([{ body: { id: 'tx-1', token: written }, delaySeconds: trackAfterSeconds }]);
  });

  it('an ignored success (a repeat of another attempt) starts no tracking', async () => {
    const applied = pendingTransaction({
      status: 'success',
      trackToken: 'token-0',
      history: [{ attempt: 1, at: '2024-12-31T23:59:00.000Z', outcome: 'success' }],
    });
    const world = createWorld('ignored', applied);
    expect(await recordOutcome(world.deps, response(), now)).toBe('ignored');
    expect(world.tracking.sent).toEqual([]);
  });

  it('this very response applied before, its first look not sent (the send failed): sends it under the token written', async () => {
    const applied = pendingTransaction({
      status: 'success',
      trackToken: 'token-0',
      history: [{ attempt: 1, at: now.toISOString(), outcome: 'success' }],
    });
    const world = createWorld('ignored', applied);
    expect(await recordOutcome(world.deps, response(), now)).toBe('ignored');
    expect(world.tracking.sent).toEqual([
      { body: { id: 'tx-1', chainId: applied.chainId, token: 'token-0' }, delaySeconds: trackAfterSeconds },
    ]);
  });

  it('a tracker report ignored after the transaction moved on sends nothing', async () => {
    const movedOn = pendingTransaction({
      status: 'mined',
      trackToken: 'token-0',
      history: [{ attempt: 1, at: now.toISOString(), outcome: 'mined', blockNumber: 3 }],
    });
    const world = createWorld('ignored', movedOn);
    await recordOutcome(world.deps, response({ status: 'success', reorged: true }), now);
    expect(world.tracking.sent).toEqual([]);
  });

  it.each([
    { what: 'mined short of depth', report: { status: 'mined' as const } },
    { what: 'back from a reorg', report: { status: 'success' as const, reorged: true } },
    { what: 'flagged stuck at the fee cap', report: { status: 'success' as const, stuck: 'at the cap' } },
  ])(
    'a tracker report that goes on ($what), once applied, starts the next look under a new token',
    async ({ report }) => {
      const world = createWorld('applied');
      await recordOutcome(world.deps, response(report), now);
      expect(world.store.calls[0]?.outcome).toMatchObject({ ...report, trackToken: 'token-1' });
      expect(world.tracking.sent).toEqual([
        { body: { id: 'tx-1', token: 'token-1' }, delaySeconds: trackAfterSeconds },
      ]);
    },
  );

  it('a tracker report ignored (the same look delivered twice) starts nothing: that tracking ends there', async () => {
    const world = createWorld('ignored');
    await recordOutcome(world.deps, response({ status: 'mined' }), now);
    await recordOutcome(world.deps, response({ status: 'success', reorged: true }), now);
    expect(world.tracking.sent).toEqual([]);
  });

  it.each(['retrying', 'failed', 'confirmed', 'reverted'] as const)('%s starts none', async (status) => {
    const world = createWorld('applied');
    await recordOutcome(world.deps, response({ status }), now);
    expect(world.store.calls[0]?.outcome).toMatchObject({ status });
    expect(world.store.calls[0]?.outcome).not.toHaveProperty('trackToken');
    expect(world.tracking.sent).toEqual([]);
  });
});

describe('recordOutcome: when the sweep looks', () => {
  it('staleAfterMs after the next attempt was scheduled, which the record does not keep', async () => {
    const world = createWorld();
    const nextAttemptAt = '2025-01-01T00:05:00.000Z';
    await recordOutcome(world.deps, response({ status: 'retrying', nextAttemptAt }), now);
    expect(world.store.calls[0]?.dueAt).toBe(Date.parse(nextAttemptAt) + staleAfterMs);
    expect(world.store.calls[0]?.outcome).not.toHaveProperty('nextAttemptAt');
  });

  it('staleAfterMs after now when no attempt is scheduled', async () => {
    const world = createWorld();
    await recordOutcome(world.deps, response(), now);
    expect(world.store.calls[0]?.dueAt).toBe(now.getTime() + staleAfterMs);
  });

  it('a tracked one on a slow chain: not before four of its looks, so two misses in a row can decide', async () => {
    const world = createWorld();
    world.deps.trackAfterSeconds = (chainId) => (chainId === 1 ? 60 : 3);
    await recordOutcome(world.deps, response({ chainId: 1 }), now);
    await recordOutcome(world.deps, response({ chainId: 1, status: 'retrying' }), now);
    await recordOutcome(world.deps, response({ chainId: 31337 }), now);
    expect(world.store.calls.map((c) => c.dueAt - now.getTime())).toEqual([240_000, staleAfterMs, staleAfterMs]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureReasonOf, failureReasons } from '../../functions/lib/metrics/failureReason.ts';
import type { Applied } from '../../functions/lib/store/OutcomeWrites.ts';
import type { ResponseMessage } from '../../functions/lib/transactions/messages.ts';
import { type RecordOutcomeDeps, recordOutcome } from '../../functions/lib/updater/recordOutcome.ts';
import { recordingMetrics } from '../support/recordingMetrics.ts';
import { createRecordingQueue, pendingTransaction } from './fakes/broadcastFakes.ts';

// What the updater counts: each change it applies, once, from the entry it adds to the transaction's
// history; nothing for a response it ignores (a duplicate, a late one) or a change that adds no entry;
// a failure by a reason from a fixed set, never the node's free text.

const createdAt = '2025-01-01T00:00:00.000Z';
const receipt = {
  status: 'success' as const,
  txHash: `0x${'ab'.repeat(32)}`,
  blockNumber: 5,
  blockHash: `0x${'cd'.repeat(32)}`,
  gasUsed: '21000',
  effectiveGasPrice: '1',
  confirmations: 3,
};

/** The updater's world: its writes answer `answer`; what it counts is recorded. */
function createWorld(
  answer: Applied | { result: 'applied'; appended: boolean } = { result: 'applied', appended: true },
) {
  const metrics = recordingMetrics<'updater'>();
  let parsed = 0;
  const deps: RecordOutcomeDeps = {
    transactions: {
      async apply() {
        if (answer.result === 'ignored') return answer;
        const tx = pendingTransaction({ createdAt });
        return {
          result: 'applied',
          appended: answer.appended,
          // As the store's: parsed only when read.
          get tx() {
            parsed++;
            return tx;
          },
        };
      },
      get: async () => undefined,
      markAnnounced: async () => {},
    },
    tracking: createRecordingQueue().queue,
    staleAfterMs: 60_000,
    trackAfterSeconds: () => 1,
    metrics: metrics.sink,
  };
  return { deps, metrics, parsed: () => parsed };
}

const response = (overrides: Partial<ResponseMessage>): ResponseMessage => ({
  id: 'tx-1',
  attempt: 1,
  at: '2025-01-01T00:00:02.500Z',
  status: 'success',
  message: 'test',
  ...overrides,
});

describe('recordOutcome: the metrics of an applied change', () => {
  it.each([
    {
      status: 'success',
      expected: [
        ['broadcast', 1],
        ['timeToBroadcast', 2500],
      ],
    },
    { status: 'retrying', attempt: 2, expected: [['retried', 1]] },
    { status: 'mined', receipt: { ...receipt, confirmations: 1 }, expected: [['mined', 1]] },
    {
      status: 'confirmed',
      receipt,
      expected: [
        ['confirmed', 1],
        ['timeToConfirm', 2500],
      ],
    },
    {
      status: 'reverted',
      receipt: { ...receipt, status: 'reverted' },
      expected: [
        ['reverted', 1],
        ['timeToConfirm', 2500],
      ],
    },
    { status: 'success', reorged: true, expected: [] },
    { status: 'success', stuck: 'at the cap', expected: [] },
  ] as const)('$status (reorged: $reorged, stuck: $stuck): $expected', async ({ expected, ...overrides }) => {
    // prepare
    const world = createWorld();
    // act
    await recordOutcome(world.deps, response(overrides), new Date());
    // assess
    expect(world.metrics.points.map((p) => [p.key, p.value])).toEqual(expected);
  });

  it('a failure counts once, by the reason its error names', async () => {
    const world = createWorld();
    await recordOutcome(
      world.deps,
      response({ status: 'failed', error: 'insufficient funds for gas * price + value: balance 0, tx cost 21000' }),
      new Date(),
    );
    expect(world.metrics.points).toEqual([{ key: 'failed', value: 1, dimensions: { reason: 'insufficient_funds' } }]);
  });

  it('an ignored response (a duplicate, or one that came late) counts nothing', async () => {
    for (const status of ['success', 'failed', 'confirmed', 'retrying'] as const) {
      const world = createWorld({ result: 'ignored' });
      await recordOutcome(world.deps, response({ status, receipt, error: 'x' }), new Date());
      expect(world.metrics.points).toEqual([]);
    }
  });

  it('a change that adds no entry to the history (a spent attempt reported again) counts nothing', async () => {
    const world = createWorld({ result: 'applied', appended: false });
    await recordOutcome(world.deps, response({ status: 'retrying', attempt: 3 }), new Date());
    expect(world.metrics.points).toEqual([]);
  });

  it('reads the transaction only for a duration: a retry or a mined block parses nothing', async () => {
    const world = createWorld();
    await recordOutcome(world.deps, response({ status: 'retrying', attempt: 2 }), new Date());
    await recordOutcome(world.deps, response({ status: 'mined', receipt }), new Date());
    expect(world.parsed()).toBe(0);
    await recordOutcome(world.deps, response({ status: 'success' }), new Date());
    expect(world.parsed()).toBe(1);
  });
});

describe('failureReasonOf', () => {
  it.each([
    [{ error: 'insufficient funds for gas * price + value' }, 'insufficient_funds'],
    [{ error: 'nonce 7 was already used by another transaction (nonce too low)' }, 'nonce_used'],
    [{ error: 'intrinsic gas too low: have 20000, want 21000' }, 'gas_too_low'],
    [{ error: 'exceeds block gas limit' }, 'gas_above_block_limit'],
    [{ error: 'canceled: not sent by validUntil 2025-01-01T00:00:00.000Z' }, 'canceled'],
    [{ error: 'canceled', canceled: true }, 'canceled'],
    [{ error: 'nonce 7 was used by another transaction', tracked: true }, 'nonce_taken'],
    [{ error: 'from 0xabc is not a signer of this deployment (its signers: 0xdef)' }, 'not_a_signer'],
    [{ error: 'every attempt failed: timed out after 10 s' }, 'timeout'],
    [{ error: 'the node said something no rule knows: 0xdeadbeef' }, 'rejected'],
    [{ message: 'Failed after 3 attempts: something else.' }, 'rejected'],
  ])('%o -> %s', (outcome, reason) => {
    expect(failureReasonOf({ message: 'Failed.', ...outcome })).toBe(reason);
  });

  it('is one of a fixed set whatever the text: the node’s words never become a series of their own', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), fc.boolean(), (message, error, tracked) => {
        const reason = failureReasonOf({ message, error, tracked });
        expect(failureReasons.has(reason)).toBe(true);
        expect(reason).toMatch(/^[a-z0-9_]+$/);
      }),
    );
    expect(failureReasons.size).toBeLessThan(40);
  });
});

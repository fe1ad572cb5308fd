import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { devRecipient, isFinal, viewOf } from '../support/chainCases.ts';
import { driveUntil, type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

// What an operator sees of one transaction through the real handlers, on a chain of one block a second:
// the api counts it once (its idempotent repeat not again), the updater counts each change it applied and
// the times from creation, each under its own function's `service`; and every log line the broadcaster,
// the updater and the tracker print while they handle it names it.

let stack: TestStack;
let handlers: Handlers;

type Line = Record<string, unknown>;

/** Every JSON line `run` printed, to stdout (info, and EMF) and to stderr (warnings and errors), parsed. */
async function printedBy(run: () => Promise<unknown>): Promise<Line[]> {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks
    .flatMap((c) => c.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** The sum of metric `name`'s values on its `service`-only lines. */
function total(lines: Line[], name: string): { sum: number; services: unknown[] } {
  const of = lines.filter((l) => name in l && !('reason' in l) && !('signer' in l));
  return {
    sum: of.flatMap((l) => [l[name]].flat()).reduce((n: number, v) => n + Number(v), 0),
    services: [...new Set(of.map((l) => l.service))],
  };
}

beforeAll(async () => {
  stack = await startTestStack({ blockTime: 1 });
  handlers = await loadHandlers(stack, {
    CONFIRMATIONS: '2',
    TRACK_INTERVAL_SECONDS: '1',
    // Every line the functions log, to read what each names.
    LOG_LEVEL: 'DEBUG',
    // The handlers print their metrics (EMF) as on Lambda.
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('one transaction, from POST to confirmed', () => {
  it('is counted once by each function that moved it, and named on every line about it', {
    timeout: 30_000,
  }, async () => {
    // prepare
    const post = () =>
      handlers.api(
        apiEvent('POST', '/transactions', { to: devRecipient, value: '1000' }, { 'idempotency-key': 'metrics-1' }),
      );
    let id = '';
    let final: TransactionView | undefined;
    // act
    const lines = await printedBy(async () => {
      const first = await post();
      const repeat = await post();
      expect([first.statusCode, repeat.statusCode, repeat.headers?.['idempotent-replayed']]).toEqual([
        202,
        202,
        'true',
      ]);
      id = JSON.parse(first.body ?? '{}').id;
      const settled = async () => {
        final = await viewOf(handlers, id);
        return isFinal(final);
      };
      await driveUntil(stack, handlers, settled, { timeoutMs: 20_000, what: 'a terminal status' });
    });
    // assess
    expect(final?.status).toBe('confirmed');
    expect(total(lines, 'Submitted')).toEqual({ sum: 1, services: ['api'] });
    expect(total(lines, 'Broadcast')).toEqual({ sum: 1, services: ['updater'] });
    expect(total(lines, 'Confirmed')).toEqual({ sum: 1, services: ['updater'] });
    // Both blocks may come before the tracker's first look: then it goes from success to confirmed.
    expect(total(lines, 'Mined').sum).toBeLessThanOrEqual(1);
    expect(total(lines, 'Failed').sum).toBe(0);
    const createdAt = Date.parse(final?.createdAt ?? '');
    const confirmedAt = Date.parse(final?.history.at(-1)?.at ?? '');
    expect(total(lines, 'TimeToConfirm')).toEqual({ sum: confirmedAt - createdAt, services: ['updater'] });
    expect(total(lines, 'TimeToBroadcast').sum).toBeGreaterThan(0);

    const logs = lines.filter(
      (l) => !('_aws' in l) && ['broadcaster', 'updater', 'tracker'].includes(String(l.service)),
    );
    expect(logs.length).toBeGreaterThan(3);
    expect(logs.filter((l) => l.transactionId !== id).map((l) => `${l.service}: ${l.message}`)).toEqual([]);
  });
});

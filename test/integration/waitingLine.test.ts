import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleMs, wakeWaiting } from '../../functions/lib/signers/wakeWaiting.ts';
import { txKey } from '../../functions/lib/store/transactionKeys.ts';
import { createWaitingLine, type WaitingLine } from '../../functions/lib/store/WaitingLine.ts';
import { newTransaction, startTestTable, type TestTable } from '../support/startTestTable.ts';
import { createRecordingQueue, silentLogger } from '../unit/fakes/broadcastFakes.ts';

// The line marker (issue 17: the tracker's wake read the waiting line on every transaction, with nobody
// waiting): the park count and the drained mark on a real table, read with the record in one request, and
// the wake that reads the line only while the marker says someone may wait.

let table: TestTable;
let waiting: WaitingLine;
let chainId = 900;

beforeAll(async () => {
  table = await startTestTable('line');
  waiting = createWaitingLine(table.doc, table.tableName);
});
afterAll(async () => {
  await table?.stop();
});

/** A record on `chain`, parked the way `SigningWrites.park` leaves one (in the `waiting` index). */
async function parkedRow(chain: number, since: number) {
  const tx = newTransaction({ chainId: chain });
  await table.store.create(tx, since + 60_000);
  await table.doc.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: txKey(tx.id),
      UpdateExpression: 'SET waitChain = :chain, waitSince = :since, waiting = :waiting',
      ExpressionAttributeValues: {
        ':chain': String(chain),
        ':since': since,
        ':waiting': { since: new Date(since).toISOString(), reason: 'waiting for a signer: all full' },
      },
    }),
  );
  return tx.id;
}

/** A wake with a clock, a recording requests queue, and a count of the line's reads. */
function waker(at: number) {
  const requests = createRecordingQueue();
  const reads = { count: 0 };
  const counted: WaitingLine = {
    ...waiting,
    line(chain) {
      reads.count++;
      return waiting.line(chain);
    },
  };
  const deps = { waiting: counted, requests: requests.queue, logger: silentLogger(), now: () => new Date(at) };
  return { deps, requests, reads };
}

describe('the waiting line marker', () => {
  it('is read with the record in one request: none on a chain that never had one', async () => {
    // prepare
    const chain = chainId++;
    const tx = newTransaction({ chainId: chain });
    await table.store.create(tx, Date.now() + 60_000);
    // act
    const fresh = await table.store.getWithLine(tx.id, chain);
    const before = Date.now();
    await waiting.markParked(chain);
    await waiting.markParked(chain);
    const parked = await table.store.getWithLine(tx.id, chain);
    const none = await table.store.getWithLine('no-such-id', chain);
    // assess
    expect(fresh.tx?.id).toBe(tx.id);
    expect(fresh.line).toBeUndefined();
    expect(parked.line?.parked).toBe(2);
    expect(parked.line?.parkedAt).toBeGreaterThanOrEqual(before);
    expect(parked.line?.parkedAt).toBeLessThanOrEqual(Date.now());
    expect(parked.tx?.status).toBe('pending');
    expect(none).toEqual({ line: parked.line });
  });

  it('a park stamped while a later one is there counts without moving the stamp back', async () => {
    // prepare
    const chain = chainId++;
    const later = Date.now() + 60_000;
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: `line#${chain}` },
        UpdateExpression: 'SET parked = :one, parkedAt = :later',
        ExpressionAttributeValues: { ':one': 1, ':later': later },
      }),
    );
    // act
    await waiting.markParked(chain);
    // assess
    expect((await table.store.getWithLine('none', chain)).line).toEqual({ parked: 2, parkedAt: later });
  });

  it('drained only moves forward', async () => {
    // prepare
    const chain = chainId++;
    const read = async () => (await table.store.getWithLine('none', chain)).line;
    // act and assess
    await waiting.markDrained(chain, 3);
    expect(await read()).toEqual({ parked: 0, drained: 3 });
    await waiting.markDrained(chain, 1);
    expect(await read()).toEqual({ parked: 0, drained: 3 });
    await waiting.markDrained(chain, 4);
    expect(await read()).toEqual({ parked: 0, drained: 4 });
  });

  it('a chain with no marker: the wake reads the line once, finds nobody, marks it; the next wake reads nothing', async () => {
    // prepare
    const chain = chainId++;
    const first = waker(Date.now());
    // act
    const sent = await wakeWaiting(first.deps, chain, undefined, undefined);
    const { line } = await table.store.getWithLine('none', chain);
    const second = waker(Date.now());
    const again = await wakeWaiting(second.deps, chain, undefined, line);
    // assess
    expect([sent, again]).toEqual([0, 0]);
    expect(first.reads.count).toBe(1);
    expect(line).toEqual({ parked: 0, drained: 0 });
    expect(second.reads.count).toBe(0);
  });

  it('a park makes the next wake read the line and send the waiter; the line is marked drained only once the park has settled', async () => {
    // prepare
    const chain = chainId++;
    await waiting.markDrained(chain, 0);
    const id = await parkedRow(chain, Date.now());
    await waiting.markParked(chain);
    const marker = async () => (await table.store.getWithLine(id, chain)).line;
    const parkedAt = (await marker())?.parkedAt ?? Number.NaN;
    // act: a wake at once sends the waiter; one just after finds the line empty but the park too recent
    const atOnce = waker(parkedAt + 10);
    const woke = await wakeWaiting(atOnce.deps, chain, undefined, await marker());
    const soon = waker(parkedAt + 20);
    const soonSent = await wakeWaiting(soon.deps, chain, undefined, await marker());
    const afterSoon = await marker();
    const later = waker(parkedAt + settleMs);
    await wakeWaiting(later.deps, chain, undefined, await marker());
    const settled = await marker();
    const last = waker(parkedAt + settleMs + 10);
    await wakeWaiting(last.deps, chain, undefined, settled);
    // assess
    expect(woke).toBe(1);
    expect(atOnce.requests.sent.map((s) => s.body)).toEqual([{ id, attempt: 1, phase: 'broadcast' }]);
    expect(soonSent).toBe(0);
    expect(soon.reads.count).toBe(1);
    expect(afterSoon).toEqual({ parked: 1, parkedAt, drained: 0 });
    expect(settled).toEqual({ parked: 1, parkedAt, drained: 1 });
    expect(last.reads.count).toBe(0);
  });

  it('a waiter parked without its count (the count write lost) is not woken by a wake: the trade the sweep and the park re-check cover', async () => {
    // prepare
    const chain = chainId++;
    await waiting.markDrained(chain, 0);
    const id = await parkedRow(chain, Date.now());
    const w = waker(Date.now());
    // act
    const sent = await wakeWaiting(w.deps, chain, undefined, (await table.store.getWithLine(id, chain)).line);
    // assess
    expect(sent).toBe(0);
    expect(w.reads.count).toBe(0);
    expect((await table.store.get(id))?.waiting).toBeDefined();
  });

  it("a look without the chain ('unread', a message sent before the marker) reads the line and never marks it", async () => {
    // prepare
    const chain = chainId++;
    const w = waker(Date.now());
    // act
    await wakeWaiting(w.deps, chain, undefined, 'unread');
    // assess
    expect(w.reads.count).toBe(1);
    expect((await table.store.getWithLine('none', chain)).line).toBeUndefined();
  });
});

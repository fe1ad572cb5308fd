import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { LostCount } from '../../functions/lib/store/StatusCounts.ts';
import { createTransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import type { TransactionOutcome } from '../../functions/lib/transactions/model.ts';
import { leftDays } from '../../infra/local/atomicDynalite.ts';
import { ensureTable } from '../../infra/local/createResources.ts';
import { startDynalite } from '../../infra/local/emulators.ts';
import { markCleanStop, mendLocalTable, readLocalTableMarks } from '../../infra/local/localTableMarks.ts';
import { repairIndexes, repairStatusCounts } from '../../infra/local/repairIndexes.ts';
import { byStatusTally } from '../support/byStatusTally.ts';
import { newTransaction } from '../support/startTestTable.ts';

// The runner's dynalite writes each item with its index entries as one LevelDB batch, and journals the
// days whose counts a status change touches (infra/local/atomicDynalite.ts): a SIGKILL in the middle of
// a load must leave no index that disagrees with its items (repairIndexes, the full check, finds
// nothing), and the journal must name every day whose counters the kill left short. dynalite as
// published, killed the same way, leaves torn indexes: the control that the kill lands mid-write.

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const tableName = 'transactions';

async function startChild(path: string, atomic: boolean, journal: string) {
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      join(import.meta.dirname, '../support/dynaliteChild.ts'),
      path,
      atomic ? '1' : '0',
      journal,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const url = chunk.toString().trim();
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return {
    dynamo,
    doc,
    async kill() {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
      dynamo.destroy();
    },
  };
}

const outcome = (id: string, status: TransactionOutcome['status'], more: Partial<TransactionOutcome> = {}) =>
  ({ id, status, attempt: 1, at: new Date().toISOString(), message: status, ...more }) satisfies TransactionOutcome;

/** Creates transactions and moves each through statuses that move its index entries, 16 at a time, until `stop`. */
async function load(doc: DynamoDBDocumentClient, stop: { now: boolean }) {
  const store = createTransactionStore(doc, tableName);
  const one = async (i: number) => {
    const tx = newTransaction();
    await store.create(tx, Date.now() + 60_000);
    await store.apply(outcome(tx.id, 'retrying', { error: 'busy' }), Date.now() + 60_000);
    await store.apply(outcome(tx.id, i % 3 === 0 ? 'failed' : 'success', { txHash: `0x${i}` }), Date.now() + 60_000);
  };
  let i = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!stop.now) await one(i++).catch(() => undefined);
    }),
  );
}

/** Runs the load, kills dynalite after `ms`, reopens it: the repairs the full check makes, and the journal left. */
async function killMidLoad(path: string, journal: string, atomic: boolean, ms: number) {
  const running = await startChild(path, atomic, journal);
  const table = await ensureTable(running.dynamo, tableName);
  // The counters cover every day from here (the first count read marks it), as on a runner's table.
  if (table.created) await createTransactionStore(running.doc, tableName).countByStatus({});
  const stop = { now: false };
  const loading = load(running.doc, stop);
  await new Promise((resolve) => setTimeout(resolve, ms));
  await running.kill();
  stop.now = true;
  await loading;
  const left = leftDays(journal);
  const reopened = await startChild(path, true, journal);
  const repaired = await repairIndexes(reopened.doc, tableName);
  return { repaired, left, reopened };
}

describe('dynalite killed mid-write', () => {
  it('with the runner’s writes: no index torn, and the days journaled are the days to recount', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-dynalite-'));
    dirs.push(dir);
    const path = join(dir, 'dynamodb');
    const journal = join(dir, 'days');
    // prepare: the table holds a transaction of another day, whose journal is gone (as after a rotation)
    const setup = await startChild(path, true, journal);
    await ensureTable(setup.dynamo, tableName);
    const store = createTransactionStore(setup.doc, tableName);
    await store.countByStatus({}); // the counters cover every day from here, as on a runner's table
    await store.create(newTransaction({ createdAt: '2020-02-02T02:02:02.000Z' }), Date.now() + 60_000);
    await setup.kill();
    for (const file of leftDays(journal).files) rmSync(file);
    let shortBeforeRecount = 0;
    for (const ms of [700, 1100, 1500]) {
      const startDay = new Date().toISOString().slice(0, 10);
      // act
      const { repaired, left, reopened } = await killMidLoad(path, journal, true, ms);
      const day = new Date().toISOString().slice(0, 10);
      const reads = createTransactionStore(reopened.doc, tableName);
      const whole = { from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z` };
      const before = await reads.countByStatus(whole);
      const recounted = await repairStatusCounts(reopened.doc, tableName, { uncleanStop: true, days: left.days });
      // assess: the full check found nothing to repair; the journal named the load's day(s), not the
      // other day; recounting them made the counters what the index says
      expect(repaired).toBe(0);
      expect(left.days).toContain(day);
      expect(left.days.every((d) => d >= startDay)).toBe(true);
      expect(recounted).toBe(left.days.length);
      const truth = await byStatusTally(reopened.doc, tableName, { from: day, to: `${day}~` });
      if (JSON.stringify(before) !== JSON.stringify(truth)) shortBeforeRecount++;
      expect(await reads.countByStatus(whole)).toEqual(truth);
      for (const file of left.files) rmSync(file);
      await reopened.kill();
    }
    // The kills did cut counts short (a status write made, its count not): the recount had work to do.
    expect(shortBeforeRecount).toBeGreaterThan(0);
  });

  it('a kill once every change is counted leaves no day to recount; one count owed, or a recount, is told apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'count-journal-'));
    dirs.push(dir);
    const path = join(dir, 'dynamodb');
    const journal = join(dir, 'days');
    const day = new Date().toISOString().slice(0, 10);
    const move = async (store: ReturnType<typeof createTransactionStore>, i: number) => {
      const tx = newTransaction();
      await store.create(tx, Date.now() + 60_000);
      await store.apply(outcome(tx.id, 'retrying', { error: 'busy' }), Date.now() + 60_000);
      await store.apply(outcome(tx.id, i % 3 === 0 ? 'failed' : 'success', { txHash: `0x${i}` }), Date.now() + 60_000);
    };
    // prepare: 60 transactions moved and counted, as the updater counts them (its batches' counts summed)
    const first = await startChild(path, true, journal);
    await ensureTable(first.dynamo, tableName);
    const counted = createTransactionStore(first.doc, tableName, { deferred: true });
    await counted.countByStatus({});
    await Promise.all(Array.from({ length: 60 }, (_, i) => move(counted, i)));
    await counted.flushCounts();
    // act 1: a kill with nothing owed
    await first.kill();
    const settled = leftDays(journal);
    // act 2: one more transaction moved, its counts kept and never written (a kill before the batch's flush)
    const second = await startChild(path, true, journal);
    await move(createTransactionStore(second.doc, tableName, { deferred: true }), 1);
    await second.kill();
    const owed = leftDays(journal);
    // act 3: the day recounted by the next start, then a kill: the recount owes nothing
    for (const file of owed.files) rmSync(file);
    const third = await startChild(path, true, journal);
    await repairStatusCounts(third.doc, tableName, { uncleanStop: true, days: owed.days });
    const truth = await byStatusTally(third.doc, tableName, { from: day, to: `${day}~` });
    const whole = { from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z` };
    const recountedCounts = await createTransactionStore(third.doc, tableName).countByStatus(whole);
    await third.kill();
    // assess
    expect(settled.days).toEqual([]);
    expect(owed.days).toEqual([day]);
    expect(recountedCounts).toEqual(truth);
    expect(truth.success + truth.failed).toBe(61);
    expect(leftDays(journal).days).toEqual([]);
  });

  it('the control: dynalite as published, killed the same way, leaves torn indexes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plain-dynalite-'));
    dirs.push(dir);
    const path = join(dir, 'dynamodb');
    let torn = 0;
    // A kill tears only when it lands between two steps of one write: most do, so a few tries suffice.
    for (const ms of [700, 1100, 1500, 1900, 500, 900, 1300, 1700, 2100, 600]) {
      const { repaired, reopened } = await killMidLoad(path, join(dir, 'days'), false, ms);
      torn += repaired;
      await reopened.kill();
      if (torn > 0) break;
    }
    expect(torn).toBeGreaterThan(0);
  });

  it('once writes stop for 2 s after a burst, the whole LevelDB is compacted (LevelDB logs each manual compaction)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idle-compaction-'));
    dirs.push(dir);
    const path = join(dir, 'dynamodb');
    const manual = () => (readFileSync(join(path, 'LOG'), 'utf8').match(/Manual compaction/g) ?? []).length;
    const running = await startChild(path, true, join(dir, 'days'));
    await ensureTable(running.dynamo, tableName);
    const store = createTransactionStore(running.doc, tableName);
    // act: a burst of about 2,400 writes, each read of the log taken while it goes on, then 3 s of rest
    const whileWriting: number[] = [];
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const tx = newTransaction();
          await store.create(tx, Date.now() + 60_000);
          await store.apply(outcome(tx.id, 'retrying', { error: 'busy' }), Date.now() + 60_000);
          await store.apply(outcome(tx.id, 'success', { txHash: `0x${i}` }), Date.now() + 60_000);
        }),
      );
      whileWriting.push(manual());
    }
    await expect.poll(manual, { timeout: 6000, interval: 250 }).toBeGreaterThan(0);
    // assess: nothing was compacted by hand while the writes came, once after they stopped
    expect(whileWriting.every((n) => n === 0)).toBe(true);
    await running.kill();
  });

  it("closes each query's iterator: once compacted, the live directory holds about what a reopening keeps", async () => {
    // An open iterator holds its snapshot and files: had dynalite's queries kept theirs open, no compaction
    // could drop what was overwritten after the first, nor any file be deleted while the process ran.
    const dir = mkdtempSync(join(tmpdir(), 'closed-iterators-'));
    dirs.push(dir);
    const path = join(dir, 'dynamodb');
    const bytes = () => readdirSync(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0);
    const manual = () => (readFileSync(join(path, 'LOG'), 'utf8').match(/Manual compaction/g) ?? []).length;
    const running = await startChild(path, true, join(dir, 'days'));
    await ensureTable(running.dynamo, tableName);
    const store = createTransactionStore(running.doc, tableName);
    const sweepQuery = () =>
      running.doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'open',
          KeyConditionExpression: 'openShard = :s AND dueAt <= :now',
          ExpressionAttributeValues: { ':s': 'open#0', ':now': Date.now() },
        }),
      );
    // act: rounds of writes that move index entries, each round followed by queries, then rest
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const tx = newTransaction({ data: `0x${'ab'.repeat(200)}` });
          await store.create(tx, Date.now() - 1);
          await store.apply(outcome(tx.id, 'retrying', { error: 'busy' }), Date.now() - 1);
          await store.apply(outcome(tx.id, 'success', { txHash: `0x${i}` }), Date.now() + 60_000);
        }),
      );
      for (let q = 0; q < 10; q++) await sweepQuery();
    }
    await expect.poll(manual, { timeout: 8000, interval: 250 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const live = bytes();
    await running.kill();
    const reopened = await startChild(path, true, join(dir, 'days'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const kept = bytes();
    await reopened.kill();
    // assess
    expect(live).toBeLessThan(1.5 * kept);
  });
});

describe('dynalite stopped cleanly', () => {
  /** The runner's dynalite on `dataDir`, as startLocalStack starts it, and its table mended as at start-up. */
  async function startRunnerTable(dataDir: string) {
    const marks = readLocalTableMarks(dataDir);
    const dynalite = await startDynalite(join(dataDir, 'dynamodb'), { journal: marks.journalDir });
    const dynamo = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynalite.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
    const table = await ensureTable(dynamo, tableName);
    await mendLocalTable(doc, tableName, table, dataDir, marks, new Logger({ logLevel: 'SILENT' }));
    return {
      doc,
      marks,
      async stop() {
        await dynalite.stop();
        markCleanStop(dataDir);
        dynamo.destroy();
      },
    };
  }

  it('a count write that failed while the table ran is recounted at the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clean-stop-'));
    dirs.push(dataDir);
    const day = new Date().toISOString().slice(0, 10);
    // prepare: a transaction made a success, its count write refused (as a timeout the client gave up on)
    const first = await startRunnerTable(dataDir);
    const tx = newTransaction();
    await createTransactionStore(first.doc, tableName).create(tx, Date.now() + 60_000);
    const refusing: DynamoDBDocumentClient = Object.assign(Object.create(first.doc), {
      send: (command: { input: { Key?: { pk?: string } } }) =>
        command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith('count#')
          ? Promise.reject(Object.assign(new Error('the count write failed'), { name: 'InternalServerError' }))
          : first.doc.send(command as never),
    });
    const lost: LostCount[] = [];
    const store = createTransactionStore(refusing, tableName, { onCountLost: (l) => lost.push(l) });
    await store.apply(outcome(tx.id, 'success', { txHash: '0x1' }), Date.now() + 60_000);
    // act: a clean stop, and the next start
    await first.stop();
    const second = await startRunnerTable(dataDir);
    const whole = { from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z` };
    const counts = await createTransactionStore(second.doc, tableName).countByStatus(whole);
    const truth = await byStatusTally(second.doc, tableName, { from: day, to: `${day}~` });
    await second.stop();
    // assess: the lost count was reported, the clean stop kept its day, the start recounted it
    expect(lost).toEqual([expect.objectContaining({ day, change: { success: 1 } })]);
    expect(second.marks.stoppedCleanly).toBe(true);
    expect(second.marks.left.days).toEqual([day]);
    expect(truth.success).toBe(1);
    expect(counts).toEqual(truth);
    // and that start settled it: the journal it read is gone, its own stopped balanced
    expect(leftDays(second.marks.journalDir)).toEqual({ days: [], files: [] });
  });
});

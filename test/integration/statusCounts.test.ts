import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountDay } from '../../functions/lib/store/recountStatusCounts.ts';
import {
  countItemKeys,
  countShardCount,
  countShardOf,
  countsSinceKey,
  everyDay,
  type LostCount,
} from '../../functions/lib/store/StatusCounts.ts';
import { createTransactionStore, type TransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import type { Receipt, TransactionOutcome } from '../../functions/lib/transactions/model.ts';
import { type Status, statuses } from '../../functions/lib/transactions/status.ts';
import { repairStatusCounts } from '../../infra/local/repairIndexes.ts';
import { byStatusTally } from '../support/byStatusTally.ts';
import { newTransaction, startTestTable, type TestTable } from '../support/startTestTable.ts';

// The admin's counts per status come from counters kept per day of creation (functions/lib/store/StatusCounts.ts):
// they must say what the index says, whatever order and however often the outcomes arrive, over any range,
// and a count must read about as much with a thousand transactions a day as with ten.

let table: TestTable;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: TransactionStore;

beforeAll(async () => {
  table = await startTestTable('counts');
  ({ doc, tableName, store } = table);
});

afterAll(async () => {
  await table?.stop();
});

/** What the byStatus index holds in `[from, to)`: the count the old way, entry by entry. */
const indexCount = (range: { from?: string | undefined; to?: string | undefined } = {}) =>
  byStatusTally(doc, tableName, range);

/** The store on a client that records each request it sends, and how many items each one read. */
function watchedStore(options: { failCounts?: boolean; onCountLost?: (lost: LostCount) => void } = {}) {
  const requests: Array<{ name: string; index?: string; select?: string; read: number }> = [];
  const watched: DynamoDBDocumentClient = Object.assign(Object.create(doc), {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const key = command.input.Key as { pk?: string } | undefined;
      if (options.failCounts && command instanceof UpdateCommand && String(key?.pk).startsWith('count#')) {
        throw Object.assign(new Error('the count write failed'), { name: 'InternalServerError' });
      }
      const out = (await doc.send(command as never)) as Record<string, unknown>;
      const read =
        command instanceof QueryCommand
          ? Number(out.ScannedCount ?? 0)
          : command instanceof BatchGetCommand
            ? Object.values((out.Responses ?? {}) as Record<string, unknown[]>).flat().length
            : command instanceof GetCommand
              ? out.Item
                ? 1
                : 0
              : 0;
      requests.push({
        name: command.constructor.name,
        ...(typeof command.input.IndexName === 'string' ? { index: command.input.IndexName } : {}),
        ...(typeof command.input.Select === 'string' ? { select: command.input.Select } : {}),
        read,
      });
      return out;
    },
  });
  const onCountLost = options.onCountLost;
  return { store: createTransactionStore(watched, tableName, onCountLost ? { onCountLost } : {}), requests };
}

const receiptOf = (id: string, block: number, status: Receipt['status'] = 'success'): Receipt => ({
  status,
  txHash: `0x${id.replace(/-/g, '')}`,
  blockNumber: block,
  blockHash: `0xblock${block}`,
  gasUsed: '21000',
  effectiveGasPrice: '1',
  confirmations: 1,
});

/** One outcome of a transaction, as the updater applies it. */
const outcome = (
  id: string,
  status: TransactionOutcome['status'],
  attempt: number,
  more: Partial<TransactionOutcome> = {},
) => ({ id, status, attempt, at: new Date().toISOString(), message: status, ...more }) satisfies TransactionOutcome;

/** Drives a transaction along one of several paths, each response delivered `times` times. */
async function drive(s: TransactionStore, id: string, path: number, times = 1) {
  const steps: TransactionOutcome[][] = [
    [],
    [outcome(id, 'retrying', 1)],
    [outcome(id, 'retrying', 1), outcome(id, 'success', 2, { txHash: '0x1' })],
    [outcome(id, 'success', 1), outcome(id, 'mined', 1, { receipt: receiptOf(id, 5) })],
    [
      outcome(id, 'success', 1),
      outcome(id, 'mined', 1, { receipt: receiptOf(id, 5) }),
      outcome(id, 'confirmed', 1, { receipt: receiptOf(id, 5) }),
    ],
    [outcome(id, 'retrying', 1), outcome(id, 'failed', 2, { error: 'nonce too low' })],
    [
      outcome(id, 'success', 1),
      outcome(id, 'mined', 1, { receipt: receiptOf(id, 5) }),
      // A reorg takes its block away (mined back to success), then it is mined in another one, and reverts.
      outcome(id, 'success', 1, { reorged: true, blockHash: '0xblock5' }),
      outcome(id, 'mined', 1, { receipt: receiptOf(id, 6) }),
      outcome(id, 'reverted', 1, { receipt: receiptOf(id, 6, 'reverted') }),
    ],
    [outcome(id, 'success', 1), outcome(id, 'failed', 1, { tracked: true, error: 'nonce taken' })],
  ];
  for (const step of steps[path % steps.length] ?? []) {
    for (let i = 0; i < times; i++) await s.apply(step, Date.now() + 60_000);
  }
}

/** Creates `n` transactions spread over `[start, start + hours)` and drives each along a path. */
async function createRun(s: TransactionStore, start: string, hours: number, n: number, times = 1) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = new Date(Date.parse(start) + Math.floor((i * hours * 3_600_000) / n)).toISOString();
    const tx = newTransaction({ createdAt });
    for (let t = 0; t < times; t++) await s.createIfAbsent(tx, Date.now() + 60_000);
    await drive(s, tx.id, i, times);
    ids.push(tx.id);
  }
  return ids;
}

describe('counts per status from the day counters', () => {
  it('after a run of creations and status changes, each day and any time equal a recount of the index', async () => {
    // prepare: three days of traffic, every status reached
    await createRun(store, '2024-03-01T00:00:00.000Z', 72, 48);
    const days = ['2024-03-01', '2024-03-02', '2024-03-03'].map((day, i, all) => ({
      from: `${day}T00:00:00.000Z`,
      to: `${all[i + 1] ?? '2024-03-04'}T00:00:00.000Z`,
    }));
    // act
    const perDay = await Promise.all(days.map((range) => store.countByStatus(range)));
    const all = await store.countByStatus({});
    // assess
    for (const [i, range] of days.entries()) expect(perDay[i]).toEqual(await indexCount(range));
    expect(all).toEqual(await indexCount());
    expect(new Set(statuses.filter((s) => all[s] > 0))).toEqual(new Set(statuses));
    // The counters say what a recount writes: recounting changes nothing.
    for (const range of days) await recountDay(doc, tableName, range.from.slice(0, 10));
    expect(await store.countByStatus({})).toEqual(all);
    // A table whose first transaction was counted is counted from its counters for every day.
    expect((await doc.send(new GetCommand({ TableName: tableName, Key: countsSinceKey }))).Item?.day).toBe(everyDay);
  });

  it('a creation writes its record alone; pending is counted from the index, and leaving it counts the new status only', async () => {
    // prepare: a day of its own, with an older version's counter item on it that still holds a pending number
    const day = '2024-04-25';
    const range = { from: `${day}T00:00:00.000Z`, to: '2024-04-26T00:00:00.000Z' };
    await doc.send(
      new PutCommand({ TableName: tableName, Item: { ...countItemKeys(day, 3), pending: 40, failed: 1 } }),
    );
    const first = newTransaction({ createdAt: `${day}T01:00:00.000Z` });
    const second = newTransaction({ createdAt: `${day}T02:00:00.000Z` });
    const watched = watchedStore();
    // act: two created (the first twice, as a repeated request), then one moves on
    await watched.store.createIfAbsent(first, Date.now() + 60_000);
    await watched.store.createIfAbsent(second, Date.now() + 60_000);
    const repeated = await watched.store.createIfAbsent(first, Date.now() + 60_000);
    // The requests answered: the repeat's put, refused, is not among them.
    const created = watched.requests.map((r) => r.name);
    const whilePending = await store.countByStatus(range);
    await watched.store.apply(outcome(first.id, 'success', 1, { txHash: '0x1' }), Date.now() + 60_000);
    // assess: one put per creation (the repeat refused), no count write; the old pending number read as
    // nothing; the change out of pending adds one success and takes nothing
    expect(repeated).toBe(false);
    expect(created).toEqual(['PutCommand', 'PutCommand']);
    expect(whilePending).toMatchObject({ pending: 2, success: 0, failed: 1 });
    expect(await store.countByStatus(range)).toMatchObject({ pending: 1, success: 1, failed: 1 });
    const counterItems = async () => {
      const counters = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byKind',
          KeyConditionExpression: 'kind = :c AND begins_with(sortKey, :day)',
          ExpressionAttributeValues: { ':c': 'count', ':day': day },
        }),
      );
      return Promise.all(
        (counters.Items ?? []).map(
          async (k) => (await doc.send(new GetCommand({ TableName: tableName, Key: { pk: k.pk } }))).Item,
        ),
      );
    };
    const items = await counterItems();
    expect(items.reduce((n, item) => n + Number(item?.success ?? 0), 0)).toBe(1);
    expect(items.reduce((n, item) => n + Number(item?.pending ?? 0), 0)).toBe(40);
    // A recount writes no pending (it reads only the counted statuses: the old number goes) and changes no count.
    await recountDay(doc, tableName, day);
    expect((await counterItems()).filter((item) => item && 'pending' in item)).toEqual([]);
    expect(await store.countByStatus(range)).toEqual(await indexCount(range));
    expect(await store.countByStatus(range)).toMatchObject({ pending: 1, success: 1, failed: 0 });
  });

  it('a request or a response delivered twice is counted once', async () => {
    // prepare: every creation and every response delivered twice, by a store of its own (as another Lambda)
    const twice = createTransactionStore(doc, tableName);
    const range = { from: '2024-04-01T00:00:00.000Z', to: '2024-04-02T00:00:00.000Z' };
    // act
    await createRun(twice, range.from, 24, 16, 2);
    // assess
    const counted = await store.countByStatus(range);
    expect(counted).toEqual(await indexCount(range));
    expect(Object.values(counted).reduce((a, b) => a + b, 0)).toBe(16);
  });

  it("deferred counters (the updater's): a batch of changes is one write per day, and counts the same", async () => {
    // prepare: transactions created over two days, their changes applied by an updater's deferred store
    const range = { from: '2024-04-10T00:00:00.000Z', to: '2024-04-12T00:00:00.000Z' };
    const created: string[] = [];
    for (let i = 0; i < 12; i++) {
      const tx = newTransaction({ createdAt: `2024-04-1${i % 2 === 0 ? 0 : 1}T0${i % 10}:00:00.000Z` });
      await store.create(tx, Date.now() + 60_000);
      created.push(tx.id);
    }
    const requests: string[] = [];
    const watched: DynamoDBDocumentClient = Object.assign(Object.create(doc), {
      send: (command: { input: { Key?: { pk?: string } } }) => {
        if (command instanceof UpdateCommand) requests.push(String(command.input.Key?.pk).split('#')[0] ?? '');
        return doc.send(command as never);
      },
    });
    const deferred = createTransactionStore(watched, tableName, { deferred: true });
    // act: one batch: every one moves, and each is delivered twice (the repeat's write is refused)
    for (const id of created) {
      await deferred.apply(outcome(id, 'success', 1, { txHash: '0x1' }), Date.now() + 60_000);
      await deferred.apply(outcome(id, 'success', 1, { txHash: '0x1' }), Date.now() + 60_000);
    }
    const beforeFlush = await store.countByStatus(range);
    await deferred.flushCounts();
    // assess: nothing counted until the flush (pending, from the index, is already none), then one count
    // write per day for the twelve changes
    expect(beforeFlush).toMatchObject({ pending: 0, success: 0 });
    expect(requests.filter((pk) => pk === 'count')).toHaveLength(2);
    expect(await store.countByStatus(range)).toEqual(await indexCount(range));
    expect(await store.countByStatus(range)).toMatchObject({ pending: 0, success: 12 });
    // A flush with nothing kept writes nothing.
    await deferred.flushCounts();
    expect(requests.filter((pk) => pk === 'count')).toHaveLength(2);
  });

  it('deferred counters keep a batch whose count write failed, and write it with the next flush', async () => {
    const range = { from: '2024-04-20T00:00:00.000Z', to: '2024-04-21T00:00:00.000Z' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const tx = newTransaction({ createdAt: `2024-04-20T0${i}:00:00.000Z` });
      await store.create(tx, Date.now() + 60_000);
      ids.push(tx.id);
    }
    let failing = true;
    const flaky: DynamoDBDocumentClient = Object.assign(Object.create(doc), {
      send: (command: { input: { Key?: { pk?: string } } }) => {
        if (failing && command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith('count#')) {
          return Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
        }
        return doc.send(command as never);
      },
    });
    const lost: LostCount[] = [];
    const deferred = createTransactionStore(flaky, tableName, { deferred: true, onCountLost: (l) => lost.push(l) });
    for (const id of ids) await deferred.apply(outcome(id, 'success', 1, { txHash: '0x1' }), Date.now() + 60_000);
    // act: the first flush fails, the next one (the table back) writes what the first could not
    await deferred.flushCounts();
    const whileFailing = await store.countByStatus(range);
    failing = false;
    await deferred.flushCounts();
    // assess
    expect(lost).toEqual([expect.objectContaining({ day: '2024-04-20', change: { success: 3 } })]);
    expect(lost[0]?.ids.sort()).toEqual([...ids].sort());
    expect(whileFailing).toMatchObject({ pending: 0, success: 0 });
    expect(await store.countByStatus(range)).toEqual(await indexCount(range));
    expect(await store.countByStatus(range)).toMatchObject({ pending: 0, success: 3 });
  });

  it('a range with partial days at both edges, short or long, is right', async () => {
    // prepare: four days, a transaction every 40 minutes
    await createRun(store, '2024-05-01T00:00:00.000Z', 96, 144);
    const ranges = [
      // Short edges: counted from the index over the range's part of the day.
      { from: '2024-05-01T19:10:00.000Z', to: '2024-05-04T04:30:00.000Z' },
      // Long edges: the day's counter, less the rest of the day.
      { from: '2024-05-01T02:20:00.000Z', to: '2024-05-04T21:50:00.000Z' },
      // Within one day, and across one midnight with no whole day.
      { from: '2024-05-02T01:00:00.000Z', to: '2024-05-02T23:00:00.000Z' },
      { from: '2024-05-02T20:00:00.000Z', to: '2024-05-03T03:00:00.000Z' },
      // Open at one end.
      { from: '2024-05-03T05:00:00.000Z' },
      { to: '2024-05-02T06:00:00.000Z' },
    ];
    for (const range of ranges) {
      // act
      const counted = await store.countByStatus(range);
      // assess
      expect(counted, JSON.stringify(range)).toEqual(await indexCount({ from: range.from, to: range.to ?? '9' }));
    }
  });

  it('reads no more with ten times the transactions on the days it counts', async () => {
    // prepare: two days with every shard of each in use, then the same days with many more transactions
    const range = { from: '2024-06-01T00:00:00.000Z', to: '2024-06-03T00:00:00.000Z' };
    const seed = async (n: number) => {
      for (const day of ['2024-06-01', '2024-06-02']) {
        for (let i = 0; i < n; i++) {
          // Every shard of the day takes its share: each of its counter items is there from the start.
          let tx = newTransaction();
          while (countShardOf(tx.id) !== i % countShardCount) tx = newTransaction();
          tx.createdAt = `${day}T${String(i % 24).padStart(2, '0')}:00:00.000Z`;
          await store.create(tx, Date.now() + 60_000);
          // Each moves on: what stays pending is counted from the index, and grows with the work not yet sent.
          await store.apply(outcome(tx.id, i % 2 === 0 ? 'retrying' : 'success', 1, { txHash: '0x1' }), Date.now());
        }
      }
    };
    await seed(12);
    const before = watchedStore();
    await before.store.countByStatus(range);
    await before.store.countByStatus({});
    await seed(120);
    // act
    const after = watchedStore();
    const counted = await after.store.countByStatus(range);
    await after.store.countByStatus({});
    // assess
    expect(counted).toEqual(await indexCount(range));
    const read = (r: typeof before.requests) => r.reduce((sum, request) => sum + request.read, 0);
    expect(after.requests.map((r) => r.name)).toEqual(before.requests.map((r) => r.name));
    expect(read(after.requests)).toBe(read(before.requests));
    // The range's two days: their shards' counter items, and the keys of those (one query, one batch read),
    // and the pending ones from byStatus (none); the query and the count run side by side.
    const ranged = after.requests.slice(0, 4);
    const describe = (r: (typeof ranged)[number]) => `${r.name} ${r.index ?? ''} ${r.select ?? ''} ${r.read}`;
    expect(ranged.map(describe).sort()).toEqual(
      [
        'GetCommand   1',
        `QueryCommand byKind  ${2 * countShardCount}`,
        `BatchGetCommand   ${2 * countShardCount}`,
        'QueryCommand byStatus COUNT 0',
      ].sort(),
    );
    expect(after.requests.filter((r) => r.select === 'COUNT')).toHaveLength(2);
  });

  it('a count write lost after its status write leaves the day one short, and recountDay puts it right', async () => {
    // prepare: a transaction created and counted, then a status change whose count write fails
    const day = '2024-07-01';
    const tx = newTransaction({ createdAt: `${day}T10:00:00.000Z` });
    await store.create(tx, Date.now() + 60_000);
    const lost: LostCount[] = [];
    const failing = watchedStore({ failCounts: true, onCountLost: (l) => lost.push(l) });
    // act: the status write stands, and says so
    expect(await failing.store.applyOutcome(outcome(tx.id, 'retrying', 1), Date.now())).toBe('applied');
    // assess
    expect((await store.get(tx.id))?.status).toBe('retrying');
    expect(lost).toEqual([expect.objectContaining({ ids: [tx.id], day, change: { retrying: 1 } })]);
    const range = { from: `${day}T00:00:00.000Z`, to: '2024-07-02T00:00:00.000Z' };
    expect(await store.countByStatus(range)).toMatchObject({ pending: 0, retrying: 0 });
    expect(await recountDay(doc, tableName, day)).toMatchObject({ pending: 0, retrying: 1 });
    expect(await store.countByStatus(range)).toEqual(await indexCount(range));
    expect(countShardOf(tx.id)).toBeLessThan(countShardCount);
  });
});

describe('a table made before the counters', () => {
  /** A transaction as a version before counters wrote it: no count, no mark that it was counted. */
  const putOld = async (createdAt: string, status: Status) => {
    const id = randomUUID();
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `tx#${id}`,
          kind: 'tx',
          sortKey: `${createdAt}#${id}`,
          id,
          status,
          attempts: status === 'pending' ? 0 : 1,
          history: [],
          chainId: 31337,
          to: '0x000000000000000000000000000000000000dEaD',
          value: '1',
          data: '0x',
          message: 'old',
          createdAt,
          updatedAt: createdAt,
        },
      }),
    );
    return id;
  };

  it('counts the days before them from the index, and from its counters once the runner backfilled it', async () => {
    // prepare: a table of its own with transactions of an older version, some of which move on now
    const own = await startTestTable('old-counts');
    const saved = { doc, tableName, store };
    ({ doc, tableName, store } = own);
    try {
      const old: string[] = [];
      for (let i = 0; i < 30; i++) {
        const at = `2023-0${1 + (i % 3)}-1${i % 10}T0${i % 10}:00:00.000Z`;
        old.push(await putOld(at, i % 3 === 0 ? 'pending' : i % 3 === 1 ? 'retrying' : 'failed'));
      }
      // Moves of old transactions count against days that have no creation counted: only the index is right there.
      for (const id of old.slice(0, 6)) await store.apply(outcome(id, 'success', 2), Date.now());
      const created = await createRun(store, '2023-02-10T00:00:00.000Z', 24, 8);
      expect(created).toHaveLength(8);
      const ranges = [
        {},
        { from: '2023-02-01T00:00:00.000Z', to: '2023-03-01T00:00:00.000Z' },
        { from: '2023-02-13T05:00:00.000Z' },
      ];
      // act
      const counted = await Promise.all(ranges.map((r) => store.countByStatus(r)));
      // assess
      for (const [i, range] of ranges.entries())
        expect(counted[i], JSON.stringify(range)).toEqual(await indexCount(range));
      // Counters cover only the days from tomorrow on: every day here is counted from the index.
      const since = (await doc.send(new GetCommand({ TableName: tableName, Key: countsSinceKey }))).Item?.day;
      expect(since > new Date().toISOString().slice(0, 10)).toBe(true);

      // act: the local runner's start-up on such a table (a clean stop) backfills every day's counters
      const recounted = await repairStatusCounts(doc, tableName, { uncleanStop: false });
      // assess
      // The days with a transaction past pending: 8 of the 30 hold only pending ones, which have no counter.
      expect(recounted).toBe(22);
      expect((await doc.send(new GetCommand({ TableName: tableName, Key: countsSinceKey }))).Item?.day).toBe(everyDay);
      const fresh = watchedStore();
      for (const range of ranges) expect(await fresh.store.countByStatus(range)).toEqual(await indexCount(range));
      expect(
        fresh.requests.filter((r) => r.name === 'QueryCommand' && r.index === 'byStatus' && r.select === 'COUNT'),
        // Each range's pending, and the counted statuses of the partial day of the last range.
      ).toHaveLength(ranges.length + statuses.length - 1);
      // A clean start on a table whose counters cover every day recounts nothing.
      expect(await repairStatusCounts(doc, tableName, { uncleanStop: false })).toBeUndefined();
    } finally {
      ({ doc, tableName, store } = saved);
      await own.stop();
    }
  });
});

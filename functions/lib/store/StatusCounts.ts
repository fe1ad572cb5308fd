import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Status, statuses } from '../transactions/model.ts';
import { conditionalPut } from './conditionalWrite.ts';
import { getItems } from './getItems.ts';

// The admin's counts per status, kept as counters instead of counted over the indexes at each read (the
// admin page reloads them every few seconds, and a count over the indexes reads every transaction ever made).
//
// - One counter item per UTC day of *creation* and shard: `pk = count#<YYYY-MM-DD>#<shard>`, a number per
//   status. Days follow `createdAt`, as the listing's ranges do (`sortKey = createdAt#id`), so a range reads
//   the counters of the whole days inside it. The items carry `kind = count` and `sortKey = <day>#<shard>`:
//   they are in byKind's `count` partition (read in one Query, never in the `tx` one the listings, the
//   test helpers and the audit read) and in no other index (no `status`, `client`, `openShard`...).
// - `pending` has no counter: a transaction is created `pending` and leaves it at its first status change,
//   so the pending of a range are counted at each read from byStatus's `pending` partition, which holds
//   the work not yet broadcast, never the table's history. That spares the api a count write per
//   transaction (the request's only write besides its record); a change out of `pending` adds to its new
//   status only.
// - Sharded by transaction id (`countShardCount`), because one item takes about 1,000 writes a second on
//   AWS: a transaction makes one count write per status change after the first (about three in all), so
//   at KMS's default 300 signatures a second one item a day would take ~900 a second; four shards take
//   ~225 each. A day's count is the sum of whatever shards it has, so the number may change.
//   The updater keeps its batch's changes (`deferred`) and writes them summed, one write per creation day
//   (in the shard of the first of them) once the batch is done: about one count write per batch instead of
//   two per transaction. A crash between a batch's status writes and that flush loses the batch's counts.
//   Each count write is one small UpdateItem (1 write unit; byKind's keys do not change, so no index write).
//   A count of every day reads one Query of keys and `days x shards` small items: it grows with the days
//   the table spans, not with their transactions.
// - Each write follows the write it counts, and only one that succeeded (every status write is
//   conditional), so a duplicated message, whose status write is refused, never counts twice. The two are
//   not atomic (dynalite has no transactions; on AWS one would double the cost of every change): a crash,
//   or a count write that fails, between them leaves the day one short (reported to `onCountLost`), and
//   an SDK retry of a count write whose first try did land unseen counts it twice. `recountDay`
//   (recountStatusCounts.ts) rebuilds a day from the byStatus index; the local runner rebuilds every day
//   after an unclean stop.
// - `count#since` (`day`): counters are complete for the transactions created on that day or later
//   (`everyDay`: all of them). Earlier days, in a table made before counters, are counted from the
//   indexes. It is written at the first count read: every day when the table's oldest transaction was
//   made by code that counts (its `counted` mark; or there is none yet), else from the day after the next hour, when every
//   writer runs code that counts. The local runner backfills such a table at start and marks every day.

/** Shards of a day's counter: see above. */
export const countShardCount = 4;

/** The `count#since` day that marks every day as counted (before any day a transaction can have). */
export const everyDay = '0000-01-01';

/** The key of the marker that says from which creation day the counters are complete. */
export const countsSinceKey = { pk: 'count#since' } as const;

/** A number of transactions per status. */
export type StatusTally = Record<Status, number>;

/** Zero of every status. */
export const emptyTally = (): StatusTally =>
  ({ pending: 0, retrying: 0, success: 0, mined: 0, confirmed: 0, reverted: 0, failed: 0 }) satisfies StatusTally;

/** The UTC day (`YYYY-MM-DD`) of an ISO instant as `toISOString()` writes it. */
export const dayOf = (instant: string) => instant.slice(0, 10);

/** The instant a UTC day starts. */
export const startOfDay = (day: string) => `${day}T00:00:00.000Z`;

/** The UTC day after `day`. */
export const nextDay = (day: string) => dayOf(new Date(Date.parse(startOfDay(day)) + 86_400_000).toISOString());

/** The shard of a transaction's counts, stable per id. */
export function countShardOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return Math.abs(hash) % countShardCount;
}

/** The counter item of a day's shard: its key and the byKind keys that put it in the `count` partition. */
export const countItemKeys = (day: string, shard: number) => ({
  pk: `count#${day}#${shard}`,
  kind: 'count',
  sortKey: `${day}#${shard}`,
});

/** The statuses the counters count: every one but `pending`, which is counted from byStatus (see above). */
export const countedStatuses: readonly Status[] = statuses.filter((s) => s !== 'pending');

/**
 * The tally a counter item holds (a status it lacks is zero). Its `pending`, if any, is what older code
 * counted there, no longer kept up: read as zero.
 */
export function tallyOf(item: Record<string, unknown>): StatusTally {
  const tally = emptyTally();
  for (const status of countedStatuses) tally[status] = Number(item[status] ?? 0);
  return tally;
}

/** The status of a stored value, when it is one. */
const statusOf = (value: unknown): Status | undefined => statuses.find((s) => s === value);

/** A count write that did not happen: the day stays off by its change until it is recounted. */
export type LostCount = { ids: string[]; day: string; change: Partial<StatusTally>; error: unknown };

/** What a transaction's counts need of it: its id (the shard) and when it was created (the day). */
type Counted = { id: string; createdAt: string };

/** The counters: the writers count with them, the admin's counts read them. */
export type StatusCounts = {
  /**
   * Counts the status change a write just made, from the item it returned: `status` now, and
   * `previousStatus`, which every status write sets from the status it replaced. No change, no write;
   * `pending` is neither added to nor taken from (see above).
   */
  countChange(written: Record<string, unknown>): Promise<void>;
  /** The first creation day whose counters are complete; marks it first when nothing did (see above). */
  since(): Promise<string>;
  /** The totals of each day in `[first, end)` (`undefined`: unbounded) that has counters. */
  readDays(first: string | undefined, end: string | undefined): Promise<Map<string, StatusTally>>;
  /**
   * Deferred counters (`deferred`): writes what was counted since the last flush, one write per day, the
   * changes of that day summed. Immediate counters have nothing kept: it does nothing.
   */
  flush(): Promise<void>;
};

/** The counters of the transactions table. */
export function createStatusCounts(
  doc: DynamoDBDocumentClient,
  TableName: string,
  options: {
    onCountLost?: (lost: LostCount) => void;
    now?: () => Date;
    /**
     * Keep the counts until `flush` (the updater flushes after each batch): a batch's status changes cost
     * one count write per creation day instead of one each. A crash before the flush loses the batch's
     * counts (not its status writes), where immediate counters lose at most the one in flight.
     */
    deferred?: boolean;
  } = {},
): StatusCounts {
  const now = options.now ?? (() => new Date());
  /** The marker, once read: it only ever moves to an earlier day, so an older copy is never wrong, only slower. */
  let knownSince: string | undefined;

  /** Per creation day, what was counted and not yet written (deferred counters only), and whose it was. */
  let kept = new Map<string, { change: Partial<StatusTally>; ids: string[] }>();

  function add(tx: Counted, change: Partial<StatusTally>): Promise<void> {
    const day = dayOf(tx.createdAt);
    if (!options.deferred) return write(day, [tx.id], change);
    keep(day, [tx.id], change);
    return Promise.resolve();
  }

  /** Adds a day's change to what is kept for the next flush (deferred counters). */
  function keep(day: string, ids: string[], change: Partial<StatusTally>) {
    const entry = kept.get(day) ?? { change: {}, ids: [] };
    for (const [status, n] of Object.entries(change) as Array<[Status, number]>) {
      entry.change[status] = (entry.change[status] ?? 0) + n;
    }
    entry.ids.push(...ids);
    kept.set(day, entry);
  }

  /** One count write: `change` to a day's counter, in the shard of the first of `ids`. */
  async function write(day: string, ids: string[], change: Partial<StatusTally>) {
    const changed = Object.entries(change).filter(([, n]) => n !== 0);
    if (changed.length === 0) return;
    const { pk, ...indexKeys } = countItemKeys(day, countShardOf(ids[0] ?? ''));
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: { pk },
          // The byKind keys, set on every write: the first write of a day's shard may be any of them.
          UpdateExpression: `SET kind = :kind, sortKey = :sortKey ADD ${changed.map((_, i) => `#s${i} :n${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(changed.map(([status], i) => [`#s${i}`, status])),
          ExpressionAttributeValues: {
            ':kind': indexKeys.kind,
            ':sortKey': indexKeys.sortKey,
            ...Object.fromEntries(changed.map(([, n], i) => [`:n${i}`, n])),
          },
        }),
      );
    } catch (error) {
      // The write it counts stands: a count is never worth failing a transaction's record for. Deferred
      // counts go back to be written with the next flush (a process that ends first loses them).
      if (options.deferred) keep(day, ids, change);
      options.onCountLost?.({ ids, day, change, error });
    }
  }

  /** The day counters start from in this table, decided once (see above) and written unless another was. */
  async function markSince(): Promise<string> {
    const oldest = await doc.send(
      new QueryCommand({
        TableName,
        IndexName: 'byKind',
        KeyConditionExpression: 'kind = :tx',
        ExpressionAttributeValues: { ':tx': 'tx' },
        Limit: 1,
      }),
    );
    const entry = oldest.Items?.[0];
    const counted =
      entry === undefined ||
      (await doc.send(new GetCommand({ TableName, Key: { pk: String(entry.pk) }, ProjectionExpression: 'counted' })))
        .Item?.counted === true;
    const day = counted ? everyDay : nextDay(dayOf(new Date(now().getTime() + 3_600_000).toISOString()));
    const put = await conditionalPut(doc, {
      TableName,
      Item: { ...countsSinceKey, day, at: now().toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)', // -- the first decision stands
    });
    if (put) return day;
    const marked = await doc.send(new GetCommand({ TableName, Key: countsSinceKey, ConsistentRead: true }));
    return String(marked.Item?.day ?? day);
  }

  return {
    async countChange(written) {
      const before = statusOf(written.previousStatus);
      const after = statusOf(written.status);
      if (before === undefined || after === undefined || before === after) return;
      const change: Partial<StatusTally> = {};
      if (before !== 'pending') change[before] = -1;
      if (after !== 'pending') change[after] = 1;
      await add({ id: String(written.id), createdAt: String(written.createdAt) }, change);
    },

    async since() {
      if (knownSince !== undefined) return knownSince;
      const marked = (await doc.send(new GetCommand({ TableName, Key: countsSinceKey }))).Item;
      knownSince = typeof marked?.day === 'string' ? marked.day : await markSince();
      return knownSince;
    },

    async flush() {
      const batch = kept;
      kept = new Map();
      await Promise.all([...batch].map(([day, { change, ids }]) => write(day, ids, change)));
    },

    async readDays(first, end) {
      // `sortKey` is `<day>#<shard>`: longer than its day, so `BETWEEN first AND end` is `first <= day < end`.
      const bounds =
        first !== undefined && end !== undefined
          ? { condition: ' AND sortKey BETWEEN :first AND :end', values: { ':first': first, ':end': end } }
          : first !== undefined
            ? { condition: ' AND sortKey >= :first', values: { ':first': first } }
            : end !== undefined
              ? { condition: ' AND sortKey < :end', values: { ':end': end } }
              : { condition: '', values: {} };
      const keys: Array<{ pk: string }> = [];
      const pages = paginateQuery(
        { client: doc },
        {
          TableName,
          IndexName: 'byKind',
          KeyConditionExpression: `kind = :count${bounds.condition}`,
          ExpressionAttributeValues: { ':count': 'count', ...bounds.values },
        },
      );
      for await (const page of pages) for (const entry of page.Items ?? []) keys.push({ pk: String(entry.pk) });
      // byKind holds keys only. A count a moment old is good enough for a view that reloads: eventually consistent.
      const days = new Map<string, StatusTally>();
      for (const item of await getItems(doc, TableName, keys, { consistent: false })) {
        const day = String(item.sortKey).split('#')[0] ?? '';
        const total = days.get(day) ?? emptyTally();
        const tally = tallyOf(item);
        for (const status of statuses) total[status] += tally[status];
        days.set(day, total);
      }
      return days;
    },
  };
}

/** Marks a transaction's stored item as made by code that counts (what `since()` looks for on the oldest). */
export const countedMark = { counted: true } as const;

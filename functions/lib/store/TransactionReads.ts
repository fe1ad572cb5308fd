import { type DynamoDBDocumentClient, GetCommand, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Status, statuses, type Transaction, transactionSchema } from '../transactions/model.ts';
import { getItems } from './getItems.ts';
import { type CountTerm, planStatusCount } from './planStatusCount.ts';
import {
  countedStatuses,
  createStatusCounts,
  emptyTally,
  type StatusCounts,
  type StatusTally,
} from './StatusCounts.ts';
import { openShardCount } from './tableDesign.ts';
import { idOf, type PageKey, startKeyOf, txKey } from './transactionKeys.ts';
import { type LineMarker, lineKey, lineMarkerOf } from './WaitingLine.ts';

/** An open transaction the sweep found due, with the attempts it has made and its status (when the index copies it). */
export type StaleTransaction = { id: string; attempts: number; status?: Status };

/**
 * Which transactions to list: one status or all, of one client or all, signed (or to be signed) by one
 * sender or all, created in `[from, to)` (ISO 8601, UTC), newest first.
 */
export type ListQuery = {
  status?: Status;
  client?: string;
  /** The sender (`from`, any case): it is on the item only, in no index, so it is filtered after the read. */
  signer?: string;
  from?: string;
  to?: string;
  limit: number;
  after?: PageKey;
};

/** One page of a listing, and where the next (older) one starts when there is one. */
export type TransactionPage = { items: Transaction[]; next?: PageKey };

/** Every read of transactions: one by id, listings and counts for the admin, and what the sweep finds due. */
export type TransactionReads = {
  /** One transaction, strongly consistent. */
  get(id: string): Promise<Transaction | undefined>;
  /** These transactions (those that exist), strongly consistent, with BatchGetItem. */
  getMany(ids: readonly string[]): Promise<Transaction[]>;
  /**
   * One transaction and its chain's line marker (`WaitingLine.ts`), strongly consistent, in one request: the
   * tracker's read, so that waking the next waiter costs no read of the line when nobody waits.
   */
  getWithLine(id: string, chainId: number): Promise<{ tx?: Transaction; line?: LineMarker }>;
  /** Newest first, from an index (`byKind`, `byStatus` for one status, `byClient` for one client); never a scan. */
  list(query: ListQuery): Promise<TransactionPage>;
  /**
   * How many transactions of each status were created in `[from, to)` (by one client, of one sender, when
   * named): of every client and sender from the day counters (StatusCounts.ts), reading at most a day's
   * transactions at each edge of the range; of one client or sender from the indexes, over the range.
   */
  countByStatus(range: Pick<ListQuery, 'from' | 'to' | 'client' | 'signer'>): Promise<Record<Status, number>>;
  /** Up to `limit` open transactions due for the sweep at `now`, from the sparse `open` index. */
  findStale(now: number, limit: number): Promise<StaleTransaction[]>;
  /** How many of a chain's transactions wait for a signer with room: a `Select: COUNT` of the `waiting` index. */
  countWaiting(chainId: number): Promise<number>;
};

/** Whether an item's sender is `signer` (addresses compare in any case; an item not assigned one has none). */
const sentBy = (item: Record<string, unknown>, signer: string | undefined) =>
  signer === undefined || (typeof item.from === 'string' && item.from.toLowerCase() === signer.toLowerCase());

/** The index a listing reads: one client's (`byClient`, its status filtered after), one status's, or every transaction's. */
function partitionOf(filter: Pick<ListQuery, 'status' | 'client'>) {
  if (filter.client !== undefined) return { index: 'byClient', name: 'client', value: filter.client };
  if (filter.status !== undefined) return { index: 'byStatus', name: 'status', value: filter.status };
  return { index: 'byKind', name: 'kind', value: 'tx' };
}

/**
 * The key condition of a listing: one partition of `byKind`, `byStatus` or `byClient`, and `sortKey`
 * (`createdAt#id`) in `[from, to)`. ISO timestamps of one format order as strings do, and a sort key
 * that starts with `to` is longer than `to`, so `BETWEEN from AND to` is exactly `from <= createdAt < to`.
 */
function listCondition(filter: Pick<ListQuery, 'status' | 'client'>, range: Pick<ListQuery, 'from' | 'to'>) {
  const partition = partitionOf(filter);
  const values: Record<string, unknown> = { ':p': partition.value };
  let sortCondition = '';
  if (range.from !== undefined && range.to !== undefined) {
    sortCondition = ' AND sortKey BETWEEN :from AND :to';
    values[':from'] = range.from;
    values[':to'] = range.to;
  } else if (range.from !== undefined) {
    sortCondition = ' AND sortKey >= :from';
    values[':from'] = range.from;
  } else if (range.to !== undefined) {
    sortCondition = ' AND sortKey < :to';
    values[':to'] = range.to;
  }
  return {
    IndexName: partition.index,
    KeyConditionExpression: `#p = :p${sortCondition}`,
    ExpressionAttributeNames: { '#p': partition.name },
    ExpressionAttributeValues: values,
  };
}

/** The sum of the terms of a count (a part outside the range taken away), never below zero. */
function total(parts: Array<{ sign: 1 | -1; tally: StatusTally }>): StatusTally {
  const sum = emptyTally();
  for (const { sign, tally } of parts) for (const status of statuses) sum[status] += sign * tally[status];
  // A count write lost (StatusCounts.ts) or an index that lags its table may leave a part short.
  for (const status of statuses) sum[status] = Math.max(0, sum[status]);
  return sum;
}

/** The reads of transactions; listings page through an index and read the items themselves. */
export function createTransactionReads(
  doc: DynamoDBDocumentClient,
  TableName: string,
  counts: StatusCounts = createStatusCounts(doc, TableName),
): TransactionReads {
  /** The counts of `which` statuses over one window of creation times, from byStatus: reads each entry in the window. */
  async function countInIndex(
    range: Pick<ListQuery, 'from' | 'to'>,
    which: readonly Status[] = statuses,
  ): Promise<StatusTally> {
    const tally = emptyTally();
    await Promise.all(
      which.map(async (status) => {
        const pages = paginateQuery(
          { client: doc },
          { TableName, ...listCondition({ status }, range), Select: 'COUNT' },
        );
        for await (const page of pages) tally[status] += page.Count ?? 0;
      }),
    );
    return tally;
  }

  /**
   * Every status's count of a range, of every client and sender: see `planStatusCount`; `pending`, which
   * has no counter, from byStatus over the whole range (the work not yet broadcast, not the table).
   */
  async function countEveryone(range: Pick<ListQuery, 'from' | 'to'>): Promise<StatusTally> {
    const terms = planStatusCount(range, await counts.since(), Date.now());
    const daily = terms.filter((t): t is Extract<CountTerm, { source: 'counters' }> => t.source === 'counters');
    // The counter terms are a run of days (the whole days and an edge day or two): one read of their span.
    const firsts = daily.map((t) => t.first);
    const ends = daily.map((t) => t.end);
    const first = firsts.includes(undefined) ? undefined : firsts.sort()[0];
    const end = ends.includes(undefined) ? undefined : ends.sort().at(-1);
    const [days, parts] = await Promise.all([
      daily.length > 0 ? counts.readDays(first, end) : new Map<string, StatusTally>(),
      Promise.all([
        countInIndex(range, ['pending']).then((tally) => ({ sign: 1 as const, tally })),
        ...terms.flatMap((t) =>
          t.source === 'index'
            ? [
                countInIndex(
                  {
                    ...(t.from === undefined ? {} : { from: t.from }),
                    ...(t.to === undefined ? {} : { to: t.to }),
                  },
                  countedStatuses,
                ).then((tally) => ({ sign: t.sign, tally })),
              ]
            : [],
        ),
      ]),
    ]);
    for (const t of daily) {
      for (const [day, tally] of days) {
        if ((t.first === undefined || day >= t.first) && (t.end === undefined || day < t.end)) {
          parts.push({ sign: 1, tally });
        }
      }
    }
    return total(parts);
  }

  return {
    async get(id) {
      const out = await doc.send(new GetCommand({ TableName, Key: txKey(id), ConsistentRead: true }));
      return out.Item ? transactionSchema.parse(out.Item) : undefined;
    },

    async getMany(ids) {
      const items = await getItems(doc, TableName, ids.map(txKey));
      return items.map((item) => transactionSchema.parse(item));
    },

    async getWithLine(id, chainId) {
      const [row, line] = [txKey(id), lineKey(chainId)];
      const items = await getItems(doc, TableName, [row, line]);
      const tx = items.find((item) => item.pk === row.pk);
      const marker = lineMarkerOf(items.find((item) => item.pk === line.pk));
      return { ...(tx ? { tx: transactionSchema.parse(tx) } : {}), ...(marker ? { line: marker } : {}) };
    },

    async findStale(now, limit) {
      const found: StaleTransaction[] = [];
      for (let shard = 0; shard < openShardCount && found.length < limit; shard++) {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: 'open',
            KeyConditionExpression: 'openShard = :shard AND dueAt <= :now',
            ExpressionAttributeValues: { ':shard': `open#${shard}`, ':now': now },
            Limit: limit - found.length,
          }),
        );
        for (const item of out.Items ?? []) {
          const status = statuses.find((s) => s === item.status);
          found.push({ id: String(item.id), attempts: Number(item.attempts ?? 0), ...(status ? { status } : {}) });
        }
      }
      return found;
    },

    async countWaiting(chainId) {
      let count = 0;
      const pages = paginateQuery(
        { client: doc },
        {
          TableName,
          IndexName: 'waiting',
          KeyConditionExpression: 'waitChain = :chain',
          ExpressionAttributeValues: { ':chain': String(chainId) },
          Select: 'COUNT',
        },
      );
      for await (const page of pages) count += page.Count ?? 0;
      return count;
    },

    async list(query) {
      // One more than asked: whether it comes back says whether there is a next page.
      const wanted = query.limit + 1;
      const items: Record<string, unknown>[] = [];
      const pages = paginateQuery(
        {
          client: doc,
          pageSize: wanted,
          ...(query.after ? { startingToken: startKeyOf(query, query.after) } : {}),
        },
        { TableName, ...listCondition(query, query), ScanIndexForward: false }, // -- newest first
      );
      for await (const page of pages) {
        items.push(...(page.Items ?? []));
        if (items.length >= wanted) break;
      }
      // The index holds keys only: the page is read from the table, as each transaction is now. An index
      // lags its table on AWS, so a transaction that has left the status asked for since is left out; so is,
      // in one client's index, one of another status than asked (the page may come out short; the next one
      // still starts after the last entry read). A sender is on the item only: one of another sender is left
      // out the same way.
      const entries = items.slice(0, query.limit);
      const last = entries.at(-1);
      const page = (
        await getItems(
          doc,
          TableName,
          entries.map((entry) => ({ pk: String(entry.pk) })),
        )
      ).filter((item) => (query.status === undefined || item.status === query.status) && sentBy(item, query.signer));
      return {
        items: page.map((item) => transactionSchema.parse(item)),
        ...(items.length > query.limit && last ? { next: { id: idOf(last), sortKey: String(last.sortKey) } } : {}),
      };
    },

    async countByStatus(range) {
      // A filter by client or sender is counted from the indexes over the range asked, so its cost grows
      // with that client's (or every) transaction in the range: no counter is kept per client or sender
      // (a count write per filter value at each change). The page's default view, everyone's, is below.
      const counts = emptyTally();
      if (range.signer !== undefined) {
        // No index holds the sender: one pass over the range's entries (one client's, or every one), each
        // item read by key for its sender and status.
        const pages = paginateQuery(
          { client: doc },
          {
            TableName,
            ...listCondition(range.client === undefined ? {} : { client: range.client }, range),
            ProjectionExpression: 'pk',
          },
        );
        for await (const page of pages) {
          const keys = (page.Items ?? []).map((entry) => ({ pk: String(entry.pk) }));
          for (const item of await getItems(doc, TableName, keys)) {
            const status = statuses.find((s) => s === item.status);
            if (status && sentBy(item, range.signer)) counts[status]++;
          }
        }
        return counts;
      }
      if (range.client !== undefined) {
        // One client's index copies each entry's status: one pass over it counts every status.
        const condition = listCondition({ client: range.client }, range);
        const pages = paginateQuery(
          { client: doc },
          {
            TableName,
            ...condition,
            ProjectionExpression: '#s',
            ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#s': 'status' },
          },
        );
        for await (const page of pages) {
          for (const item of page.Items ?? []) {
            const status = statuses.find((s) => s === item.status);
            if (status) counts[status]++;
          }
        }
        return counts;
      }
      return countEveryone(range);
    },
  };
}

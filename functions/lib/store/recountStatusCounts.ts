import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  countedStatuses,
  countItemKeys,
  countShardOf,
  countsSinceKey,
  dayOf,
  emptyTally,
  everyDay,
  nextDay,
  type StatusTally,
} from './StatusCounts.ts';
import { idOf } from './transactionKeys.ts';

// Rebuilding the day counters (StatusCounts.ts) from the byStatus index, which holds each transaction
// once, under its status now (`pending` has no counter: it is not read). A rebuild writes absolute numbers: a status change made while it reads is
// lost or counted twice, so it is run while nothing writes the days it recounts (the local runner runs it
// at start, before its pollers; on AWS, over days whose transactions have settled). On AWS the index may
// also lag its table by a moment.

/** The tallies of each day's shards (`<day>#<shard>`) of the transactions that `window` of byStatus holds. */
async function tallyIndex(
  doc: DynamoDBDocumentClient,
  TableName: string,
  window: { day?: string },
): Promise<Map<string, StatusTally>> {
  const tallies = new Map<string, StatusTally>();
  await Promise.all(
    countedStatuses.map(async (status) => {
      const range: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'> =
        window.day === undefined
          ? { KeyConditionExpression: '#s = :s', ExpressionAttributeValues: { ':s': status } }
          : {
              // A sort key (`createdAt#id`) is longer than its day: BETWEEN is `day <= createdAt < next day`.
              KeyConditionExpression: '#s = :s AND sortKey BETWEEN :day AND :next',
              ExpressionAttributeValues: { ':s': status, ':day': window.day, ':next': nextDay(window.day) },
            };
      const pages = paginateQuery(
        { client: doc },
        {
          TableName,
          IndexName: 'byStatus',
          ...range,
          ExpressionAttributeNames: { '#s': 'status' },
          ProjectionExpression: 'pk, sortKey',
        },
      );
      for await (const page of pages) {
        for (const entry of page.Items ?? []) {
          const place = `${dayOf(String(entry.sortKey))}#${countShardOf(idOf(entry))}`;
          const tally = tallies.get(place) ?? emptyTally();
          tally[status]++;
          tallies.set(place, tally);
        }
      }
    }),
  );
  return tallies;
}

/** The places (`<day>#<shard>`) of the counter items there are, of one day or of every day. */
async function counterPlaces(doc: DynamoDBDocumentClient, TableName: string, day?: string): Promise<string[]> {
  const places: string[] = [];
  const pages = paginateQuery(
    { client: doc },
    {
      TableName,
      IndexName: 'byKind',
      KeyConditionExpression: `kind = :count${day === undefined ? '' : ' AND begins_with(sortKey, :day)'}`,
      ExpressionAttributeValues: { ':count': 'count', ...(day === undefined ? {} : { ':day': `${day}#` }) },
    },
  );
  for await (const page of pages) for (const entry of page.Items ?? []) places.push(String(entry.sortKey));
  return places;
}

/** Writes the counter items of `tallies`, and removes the ones there are (`existing`) that count nothing. */
async function writeCounters(
  doc: DynamoDBDocumentClient,
  TableName: string,
  tallies: Map<string, StatusTally>,
  existing: readonly string[],
): Promise<void> {
  for (const [place, tally] of tallies) {
    const [day = '', shard = '0'] = place.split('#');
    // The counted statuses only: the item is replaced whole, so an older version's `pending` number goes.
    // `recountedAt` tells a rebuilt counter from a counted change (the local runner's journal, atomicDynalite.ts).
    const counted = Object.fromEntries(countedStatuses.map((status) => [status, tally[status]]));
    const recountedAt = new Date().toISOString();
    await doc.send(
      new PutCommand({ TableName, Item: { ...countItemKeys(day, Number(shard)), ...counted, recountedAt } }),
    );
  }
  for (const place of existing) {
    if (tallies.has(place)) continue;
    const [day = '', shard = '0'] = place.split('#');
    await doc.send(new DeleteCommand({ TableName, Key: { pk: countItemKeys(day, Number(shard)).pk } }));
  }
}

/**
 * Rebuilds one creation day's counters (`YYYY-MM-DD`) from the byStatus index: a pass over that day's
 * entries, then one write per shard. For a day left short by a crash between a status write and its count.
 */
export async function recountDay(doc: DynamoDBDocumentClient, TableName: string, day: string): Promise<StatusTally> {
  const [tallies, existing] = await Promise.all([
    tallyIndex(doc, TableName, { day }),
    counterPlaces(doc, TableName, day),
  ]);
  await writeCounters(doc, TableName, tallies, existing);
  const total = emptyTally();
  for (const tally of tallies.values()) for (const status of countedStatuses) total[status] += tally[status];
  return total;
}

/**
 * Rebuilds every day's counters in one pass over the byStatus index (each day's as `recountDay` does, and
 * none left for a day without transactions), then marks every day as counted: for a table made before
 * the counters, or after a stop that may have cut a count short. Returns how many days it counted.
 */
export async function rebuildStatusCounts(doc: DynamoDBDocumentClient, TableName: string): Promise<number> {
  const [tallies, existing] = await Promise.all([tallyIndex(doc, TableName, {}), counterPlaces(doc, TableName)]);
  await writeCounters(doc, TableName, tallies, existing);
  await doc.send(
    new PutCommand({ TableName, Item: { ...countsSinceKey, day: everyDay, at: new Date().toISOString() } }),
  );
  return new Set([...tallies.keys()].map((place) => place.split('#')[0])).size;
}

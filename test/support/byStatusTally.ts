import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { StatusTally } from '../../functions/lib/store/StatusCounts.ts';
import { statuses } from '../../functions/lib/transactions/status.ts';

/**
 * What the byStatus index holds with a creation time in `[from, to]` (its sort key `createdAt#id`, so a
 * day `YYYY-MM-DD` as `to` ends before that day): each status counted entry by entry, the count the
 * day counters must equal.
 */
export async function byStatusTally(
  doc: DynamoDBDocumentClient,
  tableName: string,
  range: { from?: string | undefined; to?: string | undefined } = {},
): Promise<StatusTally> {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as StatusTally;
  for (const status of statuses) {
    const pages = paginateQuery(
      { client: doc },
      {
        TableName: tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s AND sortKey BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': status, ':from': range.from ?? '0', ':to': range.to ?? '9' },
      },
    );
    for await (const page of pages) counts[status] += page.Items?.length ?? 0;
  }
  return counts;
}

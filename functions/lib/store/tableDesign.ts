import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';

/**
 * An index of the table: its key, and what it copies of each item besides the keys (`projection`):
 * nothing (`[]`, KEYS_ONLY), the attributes listed (INCLUDE), or everything (`'all'`).
 */
export type IndexDesign = {
  partitionKey: string;
  sortKey: string;
  sortType: 'S' | 'N';
  projection: readonly string[] | 'all';
};

/**
 * One table holds every record; `pk` is `<kind>#<key>`. The indexes are sparse: an item is in an
 * index only while it carries that index's key attributes.
 * - byKind: every record of a kind (tx, counter, filler), newest first by `sortKey` (`createdAt#id`); the
 *   admin's day counters of each status are its `count` partition, by `<day>#<shard>` (StatusCounts.ts).
 * - byStatus: transactions of one status, newest first.
 * - open: transactions not yet terminal, by the time they become due for the sweep (`dueAt`).
 * - bySender: signed transactions and fillers by (chain, sender) and nonce.
 * - byClient: one client's transactions, newest first; it copies `status`, so the admin's counts for one
 *   client need no read of the items.
 * - waiting: per chain, the transactions waiting for a signer with room, oldest first; it copies
 *   `attempts` and `from` (set when the request named its signer), so a wake knows which attempt to ask
 *   for, and skips one that only another signer may sign, without reading the item.
 * Only what a reader of the index needs is copied into it: listings read the items they page through
 * with BatchGetItem, and on AWS an update that changes no key or copied attribute of an index does not
 * write to that index at all (most updates of a transaction change no key of byKind).
 * `idem#<key>` records (Idempotency-Key bindings) are in no index; their `expiresAt` (epoch seconds) is the
 * table's TTL attribute on AWS, and is also checked in code, since dynalite has no TTL.
 */
export const indexes = {
  byKind: { partitionKey: 'kind', sortKey: 'sortKey', sortType: 'S', projection: [] },
  byStatus: { partitionKey: 'status', sortKey: 'sortKey', sortType: 'S', projection: [] },
  open: { partitionKey: 'openShard', sortKey: 'dueAt', sortType: 'N', projection: ['id', 'attempts', 'status'] },
  bySender: { partitionKey: 'senderKey', sortKey: 'nonce', sortType: 'N', projection: 'all' },
  byClient: { partitionKey: 'client', sortKey: 'sortKey', sortType: 'S', projection: ['status'] },
  waiting: { partitionKey: 'waitChain', sortKey: 'waitSince', sortType: 'N', projection: ['attempts', 'from'] },
} as const satisfies Record<string, IndexDesign>;

/** Shards of the `open` index, so no single partition takes every write on AWS. */
export const openShardCount = 4;

/** The table definition shared by the local runner and the tests (the CDK stack mirrors it). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>([['pk', 'S']]);
  for (const index of Object.values(indexes)) {
    attributes.set(index.partitionKey, 'S');
    attributes.set(index.sortKey, index.sortType);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    GlobalSecondaryIndexes: Object.entries(indexes).map(([IndexName, index]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: projectionOf(index),
    })),
  };
}

/** The DynamoDB `Projection` of an index's design. */
export function projectionOf(index: IndexDesign): NonNullable<GlobalSecondaryIndex['Projection']> {
  if (index.projection === 'all') return { ProjectionType: 'ALL' };
  if (index.projection.length === 0) return { ProjectionType: 'KEYS_ONLY' };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] };
}

/** The `bySender` partition of one sender on one chain. */
export function senderKeyOf(chainId: number, from: string): string {
  return `${chainId}#${from.toLowerCase()}`;
}

import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * One table holds every record; `pk` is `<kind>#<key>`. The indexes are sparse: an item is in an
 * index only while it carries that index's key attributes.
 * - byKind: every record of a kind (tx, counter, filler), newest first by `sortKey` (`createdAt#id`).
 * - byStatus: transactions of one status, newest first.
 * - open: transactions not yet terminal, by the time they become due for the sweep (`dueAt`).
 * - bySender: signed transactions and fillers by (chain, sender) and nonce.
 * `idem#<key>` records (Idempotency-Key bindings) are in no index; their `expiresAt` (epoch seconds) is the
 * table's TTL attribute on AWS, and is also checked in code, since dynalite has no TTL.
 */
export const indexes = {
  byKind: { partitionKey: 'kind', sortKey: 'sortKey', sortType: 'S' },
  byStatus: { partitionKey: 'status', sortKey: 'sortKey', sortType: 'S' },
  open: { partitionKey: 'openShard', sortKey: 'dueAt', sortType: 'N' },
  bySender: { partitionKey: 'senderKey', sortKey: 'nonce', sortType: 'N' },
} as const;

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
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

/** The `bySender` partition of one sender on one chain. */
export function senderKeyOf(chainId: number, from: string): string {
  return `${chainId}#${from.toLowerCase()}`;
}

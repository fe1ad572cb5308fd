import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalPut } from './conditionalWrite.ts';

/** How long a key is kept: clients may repeat a request with the same key for at least this long. */
export const idempotencyTtlSeconds = 24 * 60 * 60;

/** One `Idempotency-Key`: the request it was first used for (as a hash), and the transaction it names. */
export type IdempotencyRecord = {
  key: string;
  requestHash: string;
  transactionId: string;
  /** Epoch seconds; the table's TTL attribute. */
  expiresAt: number;
};

/** Keys of `Idempotency-Key` headers, each bound to one transaction id for `idempotencyTtlSeconds`. */
export type IdempotencyStore = {
  /**
   * Binds `key` to `requestHash` and `transactionId` unless it is bound already; returns the binding
   * in force, which is the caller's own only when `created` is true.
   */
  reserve(
    key: string,
    requestHash: string,
    transactionId: string,
    nowMs: number,
  ): Promise<{ record: IdempotencyRecord; created: boolean }>;
  /** The binding of `key` in force, if any; binds nothing. */
  find(key: string, nowMs: number): Promise<IdempotencyRecord | undefined>;
};

const idemKey = (key: string) => ({ pk: `idem#${key}` });

/**
 * Idempotency keys on DynamoDB, one item per key, written with a single conditional put (dynalite
 * has no transactions). DynamoDB's TTL deletes expired items late, and dynalite never does, so an
 * expired item counts as absent here.
 */
export function createIdempotencyStore(doc: DynamoDBDocumentClient, tableName: string): IdempotencyStore {
  const TableName = tableName;
  return {
    async reserve(key, requestHash, transactionId, nowMs) {
      const now = Math.floor(nowMs / 1000);
      const record = { key, requestHash, transactionId, expiresAt: now + idempotencyTtlSeconds };
      for (let tries = 0; tries < 3; tries++) {
        const bound = await conditionalPut(doc, {
          TableName,
          Item: { ...idemKey(key), ...record },
          // -- a key is bound once; an expired binding may be replaced
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': now },
        });
        if (bound) return { record, created: true };
        const out = await doc.send(new GetCommand({ TableName, Key: idemKey(key), ConsistentRead: true }));
        const item = out.Item;
        // Gone between the put and the read (TTL): try to bind it again.
        if (!item || Number(item.expiresAt) <= now) continue;
        return {
          record: {
            key,
            requestHash: String(item.requestHash),
            transactionId: String(item.transactionId),
            expiresAt: Number(item.expiresAt),
          },
          created: false,
        };
      }
      throw new Error(`idempotency key ${key} could not be bound`);
    },

    async find(key, nowMs) {
      const out = await doc.send(new GetCommand({ TableName, Key: idemKey(key), ConsistentRead: true }));
      const item = out.Item;
      if (!item || Number(item.expiresAt) <= Math.floor(nowMs / 1000)) return undefined;
      return {
        key,
        requestHash: String(item.requestHash),
        transactionId: String(item.transactionId),
        expiresAt: Number(item.expiresAt),
      };
    },
  };
}

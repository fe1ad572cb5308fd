import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './conditionalWrite.ts';
import { txKey } from './transactionKeys.ts';

/** The sweep's writes: a transaction it re-enqueued is left alone until `dueAt`; a tracked one gets a new tracking. */
export type SweepWrites = {
  postpone(id: string, dueAt: number): Promise<void>;
  /**
   * Postpones one the sweep left to a busy requests queue, and counts it on the record: resolves with how
   * many times it has been (undefined when it is no longer open).
   */
  postponeForBacklog(id: string, dueAt: number): Promise<number | undefined>;
  /** Gives a tracked (success or mined) transaction a new tracking `token`, so that any older one stops; false when it is not tracked. */
  restartTracking(id: string, token: string, dueAt: number): Promise<boolean>;
};

/** The sweep's writes of transactions. */
export function createSweepWrites(doc: DynamoDBDocumentClient, TableName: string): SweepWrites {
  return {
    async postpone(id, dueAt) {
      await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression: 'attribute_exists(openShard)', // -- only transactions still open
        ExpressionAttributeValues: { ':due': dueAt },
      });
    },

    async postponeForBacklog(id, dueAt) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET dueAt = :due ADD backlogPostpones :one',
        ConditionExpression: 'attribute_exists(openShard)', // -- only transactions still open
        ExpressionAttributeValues: { ':due': dueAt, ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      });
      return item === undefined ? undefined : Number(item.backlogPostpones ?? 1);
    },

    async restartTracking(id, token, dueAt) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET trackToken = :token, dueAt = :due',
        ConditionExpression: '#status IN (:success, :mined)', // -- only what the node took is tracked
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':token': token, ':due': dueAt, ':success': 'success', ':mined': 'mined' },
      });
      return item !== undefined;
    },
  };
}

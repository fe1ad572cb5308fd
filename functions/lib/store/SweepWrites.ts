import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './conditionalWrite.ts';
import { txKey } from './transactionKeys.ts';

/** The sweep's writes: a transaction it re-enqueued is left alone until `dueAt`; a tracked one gets a new tracking. */
export type SweepWrites = {
  postpone(id: string, dueAt: number): Promise<void>;
  /**
   * Postpones one the sweep left to a busy requests queue, counts it on the record and keeps the queue's
   * `backlog` there: resolves with how many times it has been, and the backlog the time before (if any);
   * undefined when it is no longer open.
   */
  postponeForBacklog(
    id: string,
    dueAt: number,
    backlog: number,
  ): Promise<{ times: number; previousBacklog: number | undefined } | undefined>;
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

    async postponeForBacklog(id, dueAt, backlog) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET dueAt = :due, lastBacklog = :backlog ADD backlogPostpones :one',
        ConditionExpression: 'attribute_exists(openShard)', // -- only transactions still open
        ExpressionAttributeValues: { ':due': dueAt, ':backlog': backlog, ':one': 1 },
        // The values before this write: the count it raised, and the backlog the last postponement saw.
        ReturnValues: 'UPDATED_OLD',
      });
      if (item === undefined) return undefined;
      const previousBacklog = item.lastBacklog === undefined ? undefined : Number(item.lastBacklog);
      return { times: Number(item.backlogPostpones ?? 0) + 1, previousBacklog };
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

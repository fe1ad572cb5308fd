import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './conditionalWrite.ts';
import { txKey } from './transactionKeys.ts';

/** The sweep's write: a transaction it re-enqueued is left alone until `dueAt`. */
export type SweepWrites = {
  postpone(id: string, dueAt: number): Promise<void>;
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
  };
}

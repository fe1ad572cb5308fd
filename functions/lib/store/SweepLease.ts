import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionalPut } from './conditionalWrite.ts';

/** The key of the sweep's lease: one item, in no index. */
export const sweepLeaseKey = { pk: 'lease#sweep' } as const;

/**
 * One sweep at a time, whoever runs it: a lease in the table, taken with a conditional write and given
 * back when the run ends; one whose holder died expires by itself.
 */
export type SweepLease = {
  /** Takes the lease for `seconds` from `now` (epoch ms) as `owner`: false while another holds one not yet expired. */
  acquire(owner: string, now: number, seconds: number): Promise<boolean>;
  /** Gives it back, if `owner` still holds it. */
  release(owner: string): Promise<void>;
};

export function createSweepLease(doc: DynamoDBDocumentClient, TableName: string): SweepLease {
  return {
    acquire(owner, now, seconds) {
      return conditionalPut(doc, {
        TableName,
        Item: { ...sweepLeaseKey, owner, until: now + seconds * 1000 },
        ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now', // -- free, or its holder's time is up
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': now },
      });
    },
    async release(owner) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: sweepLeaseKey,
            ConditionExpression: '#owner = :owner', // -- not one another run took after ours expired
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        );
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') throw error;
      }
    },
  };
}

import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './conditionalWrite.ts';
import { idOf, txKey } from './transactionKeys.ts';

/** A transaction waiting for a signer with room, as the `waiting` index holds it. */
export type Waiter = { id: string; attempts: number };

/** The transactions of each chain that wait for a signer with room (`SigningWrites.park` puts them here). */
export type WaitingLine = {
  /** The oldest `limit` waiters of a chain, oldest first (an index read: one may have left since). */
  oldest(chainId: number, limit: number): Promise<Waiter[]>;
  /**
   * Takes one waiter out of the line, to be sent to the broadcaster: true for the one caller that took
   * it, false when another did first (or it left, signed, closed or ended). Its `waiting` stays on the
   * record, as its message, until it is signed or parked again.
   */
  take(id: string): Promise<boolean>;
};

export function createWaitingLine(doc: DynamoDBDocumentClient, TableName: string): WaitingLine {
  return {
    async oldest(chainId, limit) {
      const out = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: 'waiting',
          KeyConditionExpression: 'waitChain = :chain',
          ExpressionAttributeValues: { ':chain': String(chainId) },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((item) => ({ id: idOf(item), attempts: Number(item.attempts ?? 0) }));
    },

    async take(id) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        // Out of the index; its waitSince stays, so one that must wait again keeps its place in the line.
        UpdateExpression: 'REMOVE waitChain',
        ConditionExpression: 'attribute_exists(waitChain)', // -- one waker per waiter
      });
      return item !== undefined;
    },
  };
}

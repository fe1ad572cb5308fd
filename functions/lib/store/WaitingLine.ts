import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './conditionalWrite.ts';
import { idOf, txKey } from './transactionKeys.ts';

/** A transaction waiting for a signer with room, as the `waiting` index holds it (`from`: the signer it named). */
export type Waiter = { id: string; attempts: number; from?: string };

/** The transactions of each chain that wait for a signer with room (`SigningWrites.park` puts them here). */
export type WaitingLine = {
  /** A chain's waiters, oldest first, read a page at a time as they are iterated (an index: one may have left since). */
  line(chainId: number): AsyncIterable<Waiter>;
  /**
   * Takes one waiter out of the line, to be sent to the broadcaster: true for the one caller that took
   * it, false when another did first (or it left, signed, closed or ended). Its `waiting` stays on the
   * record, as its message, until it is signed or parked again.
   */
  take(id: string): Promise<boolean>;
};

export function createWaitingLine(doc: DynamoDBDocumentClient, TableName: string): WaitingLine {
  return {
    async *line(chainId) {
      const pages = paginateQuery(
        { client: doc, pageSize: 10 },
        {
          TableName,
          IndexName: 'waiting',
          KeyConditionExpression: 'waitChain = :chain',
          ExpressionAttributeValues: { ':chain': String(chainId) },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          yield {
            id: idOf(item),
            attempts: Number(item.attempts ?? 0),
            ...(typeof item.from === 'string' ? { from: item.from } : {}),
          };
        }
      }
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

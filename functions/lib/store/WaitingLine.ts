import { type DynamoDBDocumentClient, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate, raiseNumber } from './conditionalWrite.ts';
import { idOf, txKey } from './transactionKeys.ts';

/** A transaction waiting for a signer with room, as the `waiting` index holds it (`from`: the signer it named). */
export type Waiter = { id: string; attempts: number; from?: string };

/**
 * A chain's line marker, one item per chain: how many parks it has seen (`parked`, and the last one's time) and
 * the count a wake last found the line empty at (`drained`). While `parked` is not above `drained`, nobody has
 * parked since the line was seen empty, so a wake need not read the line: the happy path, where no
 * transaction ever waits, reads the marker with the row (one request) instead of querying the index.
 */
export type LineMarker = { parked: number; parkedAt?: number; drained?: number };

/** The table key of a chain's line marker. */
export const lineKey = (chainId: number) => ({ pk: `line#${chainId}` });

/** The marker as read from its item; `undefined` for no item (then a wake reads the line, and marks it). */
export function lineMarkerOf(item: Record<string, unknown> | undefined): LineMarker | undefined {
  if (!item) return undefined;
  return {
    parked: Number(item.parked ?? 0),
    ...(item.parkedAt === undefined ? {} : { parkedAt: Number(item.parkedAt) }),
    ...(item.drained === undefined ? {} : { drained: Number(item.drained) }),
  };
}

/** True when a wake must read the line: no marker yet, or a park since it was last seen empty. */
export const mayHaveWaiters = (marker: LineMarker | undefined) =>
  marker === undefined || marker.drained === undefined || marker.parked > marker.drained;

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
  /**
   * Counts a park on the chain's marker, stamped with the time of this write (never moved back); called
   * after the row is parked, so a wake that reads the count finds the row.
   */
  markParked(chainId: number): Promise<void>;
  /**
   * A wake read the whole line and found nobody, with the marker at `parked`: records it, so the wakes after it
   * skip the read until the next park. Never moves `drained` back.
   */
  markDrained(chainId: number, parked: number): Promise<void>;
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

    async markParked(chainId) {
      // The time is the write's own, and only moves forward: a late write of an earlier park must not make
      // the latest park look settled. One that finds a later time there counts without stamping.
      const now = Date.now();
      const stamped = await conditionalUpdate(doc, {
        TableName,
        Key: lineKey(chainId),
        UpdateExpression: 'ADD parked :one SET parkedAt = :now',
        ConditionExpression: 'attribute_not_exists(parkedAt) OR parkedAt < :now',
        ExpressionAttributeValues: { ':one': 1, ':now': now },
      });
      if (stamped) return;
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: lineKey(chainId),
          UpdateExpression: 'ADD parked :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    },

    async markDrained(chainId, parked) {
      // A wake that read an older count does not undo a later one's.
      await raiseNumber(doc, TableName, lineKey(chainId), 'drained', parked, { mayCreate: true });
    },
  };
}

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CancelRequest } from '../transactions/model.ts';
import { conditionalPut, conditionalUpdate } from './conditionalWrite.ts';
import { countedMark } from './StatusCounts.ts';
import {
  initialState,
  isOpen,
  type NewTransaction,
  openShardOf,
  openStatusValues,
  sortKeyOf,
  txKey,
  waitingAttributes,
} from './transactionKeys.ts';

/** The api's writes: a transaction accepted, and a failed one linked to the one that sends it again. */
export type IntakeWrites = {
  /** Records a new transaction `pending`, due for the sweep at `dueAt`; throws when its id was accepted already. */
  create(tx: NewTransaction, dueAt: number): Promise<void>;
  /** Records a new transaction `pending`, due for the sweep at `dueAt`; false when its id was accepted already. */
  createIfAbsent(tx: NewTransaction, dueAt: number): Promise<boolean>;
  /** Marks a failed transaction as sent again as `newId`; false when it is not failed or was sent again as another. */
  linkRebroadcast(id: string, newId: string): Promise<boolean>;
  /**
   * Cancels a transaction never signed: fences it (`signingClosed`) so that no worker signs it, even one
   * signing it now; false when it was signed (or closed, or is terminal) already.
   */
  closeForCancel(id: string, cancel: CancelRequest, reason: string): Promise<boolean>;
  /** Records a cancel asked for on a signed transaction not yet terminal (the first one stays); false otherwise. */
  requestCancel(id: string, cancel: CancelRequest): Promise<boolean>;
};

/**
 * The api's writes of transactions, each one conditional write. A creation is its record alone: `pending`
 * has no day counter (StatusCounts.ts), so nothing is counted.
 */
export function createIntakeWrites(doc: DynamoDBDocumentClient, TableName: string): IntakeWrites {
  const createIfAbsent: IntakeWrites['createIfAbsent'] = (tx, dueAt) =>
    conditionalPut(doc, {
      TableName,
      Item: {
        ...txKey(tx.id),
        kind: 'tx',
        sortKey: sortKeyOf(tx),
        ...initialState(tx),
        openShard: openShardOf(tx.id),
        dueAt,
        // Made by code whose changes count: how the first count read knows a table's counters cover every day.
        ...countedMark,
      },
      ConditionExpression: 'attribute_not_exists(pk)', // -- an id is accepted once
    });
  return {
    createIfAbsent,
    async create(tx, dueAt) {
      if (!(await createIfAbsent(tx, dueAt))) throw new Error(`transaction ${tx.id} exists already`);
    },

    async linkRebroadcast(id, newId) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET rebroadcastAs = :new',
        ConditionExpression: [
          '#status = :failed', // -- only a failed transaction is sent again
          '(attribute_not_exists(rebroadcastAs) OR rebroadcastAs = :new)', // -- and only once
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':new': newId, ':failed': 'failed' },
      });
      return item !== undefined;
    },

    async closeForCancel(id, cancel, reason) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: `SET signingClosed = :reason, cancel = :cancel REMOVE ${waitingAttributes}`,
        ConditionExpression: [
          'attribute_not_exists(rawTx)', // -- never signed: nothing of it can be on its way
          'attribute_not_exists(signingClosed)', // -- not closed already, for this or another reason
          isOpen, // -- and not terminal
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':reason': reason, ':cancel': cancel, ...openStatusValues },
      });
      return item !== undefined;
    },

    async requestCancel(id, cancel) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET cancel = if_not_exists(cancel, :cancel)',
        ConditionExpression: [
          'attribute_exists(rawTx)', // -- signed: its nonce is replaced
          '#status IN (:pending, :retrying, :success)', // -- not yet in a block, not terminal
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':cancel': cancel, ':success': 'success', ...openStatusValues },
      });
      return item !== undefined;
    },
  };
}

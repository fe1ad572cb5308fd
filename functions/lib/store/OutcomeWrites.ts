import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Attempt, TransactionOutcome } from '../transactions/model.ts';
import { conditionalUpdate } from './conditionalWrite.ts';
import { isOpen, openStatusValues, txKey } from './transactionKeys.ts';

/** The updater's writes: the only writes that move a transaction's status. */
export type OutcomeWrites = {
  /**
   * Applies one attempt's outcome, forward only; a retrying transaction becomes due for the sweep at
   * `dueAt`. A late or repeated outcome changes nothing and is `ignored`, not an error.
   */
  applyOutcome(outcome: TransactionOutcome, dueAt: number): Promise<'applied' | 'ignored'>;
};

/** The attempt an outcome adds to a transaction's history. */
function historyEntry(o: TransactionOutcome): Attempt {
  return { attempt: o.attempt, at: o.at, outcome: o.status, ...(o.error ? { error: o.error } : {}) };
}

/** The updater's writes of transactions: conditional updates that only move forward. */
export function createOutcomeWrites(doc: DynamoDBDocumentClient, TableName: string): OutcomeWrites {
  const names = { '#status': 'status', '#message': 'message' };
  const appendHistory = 'history = list_append(if_not_exists(history, :empty), :entry)';

  /** A retrying outcome of a later attempt than the one recorded. */
  const applyRetrying = (o: TransactionOutcome, dueAt: number) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET #status = :status, #message = :message, attempts = :attempt, updatedAt = :at, dueAt = :due, ${appendHistory}`,
      ConditionExpression: [
        isOpen, // -- nothing leaves a terminal status
        'attempts < :attempt', // -- attempts never decrease; a repeated report changes nothing
      ].join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':status': 'retrying',
        ':message': o.message,
        ':attempt': o.attempt,
        ':at': o.at,
        ':due': dueAt,
        ':entry': [historyEntry(o)],
        ':empty': [],
        ...openStatusValues,
      },
    });

  /** The same attempt reported again (a spent transaction still being settled): only the message and the due time move. */
  const refreshRetrying = (o: TransactionOutcome, dueAt: number) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: 'SET #message = :message, updatedAt = :at, dueAt = :due',
      ConditionExpression: '#status = :retrying AND attempts = :attempt', // -- same attempt, still open
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':message': o.message,
        ':attempt': o.attempt,
        ':at': o.at,
        ':due': dueAt,
        ':retrying': 'retrying',
      },
    });

  /** A terminal outcome; `withAttempts` also records its attempt, which must not be lower than the one recorded. */
  const applyTerminal = (o: TransactionOutcome, withAttempts: boolean) => {
    const sets = ['#status = :status', '#message = :message', 'updatedAt = :at', appendHistory];
    const values: Record<string, unknown> = {
      ':status': o.status,
      ':message': o.message,
      ':at': o.at,
      ':entry': [historyEntry(o)],
      ':empty': [],
      ...openStatusValues,
    };
    if (withAttempts) {
      sets.push('attempts = :attempt');
      values[':attempt'] = o.attempt;
    }
    if (o.txHash) {
      sets.push('txHash = :hash');
      values[':hash'] = o.txHash;
    }
    if (o.filledBy) {
      sets.push('filledBy = :filledBy');
      values[':filledBy'] = o.filledBy;
    }
    const conditions = [
      isOpen, // -- nothing leaves a terminal status
      ...(withAttempts ? ['attempts <= :attempt'] : []), // -- attempts never decrease
    ];
    return conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      // Terminal: out of the sweep's `open` index, and no claim left on it.
      UpdateExpression: `SET ${sets.join(', ')} REMOVE openShard, dueAt, leaseToken, leaseUntil`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      // The benchmark learns when a transaction succeeded from this answer (bench/createCounters.ts).
      ReturnValues: 'ALL_NEW',
    });
  };

  return {
    async applyOutcome(outcome, dueAt) {
      if (outcome.status === 'retrying') {
        if (await applyRetrying(outcome, dueAt)) return 'applied';
        // History and attempts stay, but the sweep's due time moves on so it does not start another check.
        return (await refreshRetrying(outcome, dueAt)) ? 'applied' : 'ignored';
      }
      if (await applyTerminal(outcome, true)) return 'applied';
      // A terminal outcome from an earlier attempt than the one recorded (a duplicate delivery finished
      // late) still ends the transaction, without lowering `attempts`.
      return (await applyTerminal(outcome, false)) ? 'applied' : 'ignored';
    },
  };
}

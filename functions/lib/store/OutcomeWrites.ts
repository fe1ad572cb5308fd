import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type Attempt,
  type Receipt,
  type Transaction,
  type TransactionOutcome,
  transactionSchema,
} from '../transactions/model.ts';
import { conditionalUpdate, raiseNumber } from './conditionalWrite.ts';
import { createStatusCounts, type StatusCounts } from './StatusCounts.ts';
import { isOpen, openStatusValues, txKey, waitingAttributes } from './transactionKeys.ts';

/** The updater's writes: the only writes that move a transaction's status. */
export type OutcomeWrites = {
  /**
   * Applies one attempt's outcome, forward only; a retrying transaction becomes due for the sweep at
   * `dueAt`. A late or repeated outcome changes nothing and is `ignored`, not an error.
   */
  applyOutcome(outcome: TransactionOutcome, dueAt: number): Promise<'applied' | 'ignored'>;
  /**
   * As `applyOutcome`, with what was written: the transaction as it now is, and whether the write added
   * an entry to its history (every status change does; a spent attempt's repeated report does not).
   */
  apply(outcome: TransactionOutcome, dueAt: number): Promise<Applied>;
  /** Records that the events up to `through` (its history's first entries) were handed to the notifier; never lowers it. */
  markAnnounced(id: string, through: number): Promise<void>;
};

/** What an outcome's write did: `tx` is the transaction after it, when it was applied. */
export type Applied = { result: 'applied'; tx: Transaction; appended: boolean } | { result: 'ignored' };

/** The entry an outcome adds to a transaction's history (an attempt, or what the tracker saw). */
function historyEntry(o: TransactionOutcome, outcome: Attempt['outcome'] = o.status): Attempt {
  return {
    attempt: o.attempt,
    at: o.at,
    outcome,
    ...(o.error ? { error: o.error } : {}),
    ...(o.receipt
      ? { blockNumber: o.receipt.blockNumber }
      : o.blockNumber === undefined
        ? {}
        : { blockNumber: o.blockNumber }),
  };
}

/** With a tracker's report that goes on: the token of the tracking's next look, in the same write. */
const handOn = (o: TransactionOutcome) => (o.trackToken ? ', trackToken = :track' : '');
const handOnValue = (o: TransactionOutcome) => (o.trackToken ? { ':track': o.trackToken } : {});

/**
 * The updater's writes of transactions: conditional updates that only move forward. Each write that sets
 * the status also sets `previousStatus` from the status it replaces (both sides read the item as it was),
 * so the item it returns says which change it made, and the change is counted (StatusCounts.ts) with no
 * read: most of these writes may start from either of two statuses.
 */
export function createOutcomeWrites(
  doc: DynamoDBDocumentClient,
  TableName: string,
  counts: Pick<StatusCounts, 'countChange'> = createStatusCounts(doc, TableName),
): OutcomeWrites {
  const names = { '#status': 'status', '#message': 'message' };
  const appendHistory = 'history = list_append(if_not_exists(history, :empty), :entry)';
  const moveStatus = 'previousStatus = #status, #status';

  /**
   * A retrying outcome of a later attempt than the one recorded. One that sent nothing (`unsentSince`) is
   * the first report of its run: retrying, with its history entry, but the attempt not spent (`attempts`
   * stays below it), and the row keeps when the trying began, for the sweep's and a wake's message, which
   * do not carry it.
   */
  const applyRetrying = (o: TransactionOutcome, dueAt: number) => {
    const unsent = o.unsentSince !== undefined;
    return conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET ${moveStatus} = :status, #message = :message, ${unsent ? 'unsentSince = :since' : 'attempts = :attempt'}, updatedAt = :at, dueAt = :due, ${appendHistory}`,
      ConditionExpression: [
        isOpen, // -- nothing leaves a terminal status, nor goes back from success
        'attempts < :attempt', // -- attempts never decrease; a repeated report changes nothing
        ...(unsent ? ['(attribute_not_exists(unsentSince) OR unsentSince <> :since)'] : []), // -- a run once
      ].join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':status': 'retrying',
        ':message': o.message,
        ':attempt': o.attempt,
        ':at': o.at,
        ':due': dueAt,
        ...(unsent ? { ':since': o.unsentSince } : {}),
        ':entry': [historyEntry(o)],
        ':empty': [],
        ...openStatusValues,
      },
      ReturnValues: 'ALL_NEW',
    });
  };

  /**
   * The same attempt reported again (a spent transaction still being settled, or a later try of the same
   * unsent run): only the message and the due time move.
   */
  const refreshRetrying = (o: TransactionOutcome, dueAt: number) => {
    const unsent = o.unsentSince !== undefined;
    return conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: 'SET #message = :message, updatedAt = :at, dueAt = :due',
      // -- same attempt (or run), still open
      ConditionExpression: unsent
        ? '#status = :retrying AND unsentSince = :since AND attempts < :attempt'
        : '#status = :retrying AND attempts = :attempt',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':message': o.message,
        ':attempt': o.attempt,
        ':at': o.at,
        ':due': dueAt,
        ...(unsent ? { ':since': o.unsentSince } : {}),
        ':retrying': 'retrying',
      },
      ReturnValues: 'ALL_NEW',
    });
  };

  /**
   * The broadcaster's last word on an open transaction: `success` (the node took it: it stays open,
   * now followed by the tracking `trackToken` names) or `failed` (terminal). `withAttempts` also records
   * its attempt, which must not be lower than the one recorded.
   */
  const applyBroadcastOutcome = (o: TransactionOutcome, dueAt: number, withAttempts: boolean) => {
    const sets = [`${moveStatus} = :status`, '#message = :message', 'updatedAt = :at', appendHistory];
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
    const followed = o.status === 'success';
    if (followed) {
      // Still open: the sweep looks again at `dueAt` if the tracking that follows it was lost.
      sets.push('dueAt = :due');
      values[':due'] = dueAt;
      if (o.trackToken) {
        sets.push('trackToken = :track');
        values[':track'] = o.trackToken;
      }
    }
    const conditions = [
      isOpen, // -- pending or retrying: the broadcaster's outcomes never move a transaction back
      ...(withAttempts ? ['attempts <= :attempt'] : []), // -- attempts never decrease
    ];
    return conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      // No claim is left on it; a failed one also leaves the sweep's `open` index.
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${followed ? '' : 'openShard, dueAt, '}leaseToken, leaseUntil, ${waitingAttributes}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      // The benchmark learns when a transaction succeeded from this answer (bench/createCounters.ts).
      ReturnValues: 'ALL_NEW',
    });
  };

  const tracked = { ':success': 'success', ':mined': 'mined' };

  /** In a block short of depth: from success, or from mined in another block (it moved in a reorg). */
  const applyMined = (o: TransactionOutcome, receipt: Receipt, dueAt: number) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET ${moveStatus} = :mined, #message = :message, updatedAt = :at, receipt = :receipt, txHash = :hash, dueAt = :due, ${appendHistory}${handOn(o)} REMOVE stuck`,
      ConditionExpression: [
        '#status IN (:success, :mined)', // -- only a transaction the node took is mined
        '(attribute_not_exists(receipt) OR receipt.blockHash <> :block)', // -- once per block it is in
      ].join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ...tracked,
        ':message': o.message,
        ':at': o.at,
        ':receipt': receipt,
        ':hash': receipt.txHash,
        ':block': receipt.blockHash,
        ':due': dueAt,
        ':entry': [historyEntry(o)],
        ':empty': [],
        ...handOnValue(o),
      },
      ReturnValues: 'ALL_NEW',
    });

  /**
   * At depth: confirmed or reverted, for good, or failed when the signature mined is its cancel; out of
   * the sweep's index, its tracking ended.
   */
  const applySettled = (o: TransactionOutcome, receipt: Receipt) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET ${moveStatus} = :status, #message = :message, updatedAt = :at, receipt = :receipt, txHash = :hash, ${appendHistory} REMOVE openShard, dueAt, trackToken, leaseToken, leaseUntil, stuck, ${waitingAttributes}`,
      ConditionExpression: '#status IN (:success, :mined)', // -- nothing leaves a terminal status
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ...tracked,
        ':status': o.status,
        ':message': o.message,
        ':at': o.at,
        ':receipt': receipt,
        ':hash': receipt.txHash,
        ':entry': [historyEntry(o)],
        ':empty': [],
      },
      ReturnValues: 'ALL_NEW',
    });

  /** Waiting at the fee cap: flagged once (and in its history) while it stays success; mined clears it. */
  const applyStuck = (o: TransactionOutcome, reason: string) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET stuck = :stuck, #message = :message, updatedAt = :at, ${appendHistory}${handOn(o)}`,
      ConditionExpression: [
        '#status = :success', // -- only a transaction waiting for its block
        'attribute_not_exists(stuck)', // -- flagged once
      ].join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':success': 'success',
        ':stuck': { since: o.at, reason },
        ':message': o.message,
        ':at': o.at,
        ':entry': [historyEntry(o, 'stuck')],
        ':empty': [],
        ...handOnValue(o),
      },
      ReturnValues: 'ALL_NEW',
    });

  /** A reorg took its block away: mined goes back to success (the one move backward), recorded as `reorged`. */
  const applyReorg = (o: TransactionOutcome, dueAt: number) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET ${moveStatus} = :success, #message = :message, updatedAt = :at, dueAt = :due, ${appendHistory}${o.txHash ? ', txHash = :hash' : ''}${handOn(o)} REMOVE receipt`,
      ConditionExpression: [
        '#status = :mined', // -- only what was mined can be reorged out
        ...(o.blockHash ? ['receipt.blockHash = :gone'] : []), // -- of the block the report saw go, not a newer one
      ].join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':success': 'success',
        ':mined': 'mined',
        ':message': o.message,
        ':at': o.at,
        ':due': dueAt,
        ':entry': [historyEntry(o, 'reorged')],
        ':empty': [],
        ...(o.txHash ? { ':hash': o.txHash } : {}),
        ...(o.blockHash ? { ':gone': o.blockHash } : {}),
        ...handOnValue(o),
      },
      ReturnValues: 'ALL_NEW',
    });

  /** The tracker saw its nonce mined by a transaction that is none of its signatures: failed, for good. */
  const applyTrackedFailure = (o: TransactionOutcome) =>
    conditionalUpdate(doc, {
      TableName,
      Key: txKey(o.id),
      UpdateExpression: `SET ${moveStatus} = :failed, #message = :message, updatedAt = :at, ${appendHistory} REMOVE openShard, dueAt, trackToken, leaseToken, leaseUntil, stuck, ${waitingAttributes}`,
      ConditionExpression: '#status = :success', // -- mined means one of ours holds the nonce
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':success': 'success',
        ':failed': 'failed',
        ':message': o.message,
        ':at': o.at,
        ':entry': [historyEntry(o)],
        ':empty': [],
      },
      ReturnValues: 'ALL_NEW',
    });

  /** Runs the write an outcome asks for; `appended`: it adds a history entry when it is applied. */
  async function write(outcome: TransactionOutcome, dueAt: number): Promise<Applied> {
    /** `moved`: the write sets the status (it may leave it as it was): the change it made is counted, after it. */
    const applied = async (
      written: Record<string, unknown> | undefined,
      appended = true,
      moved = true,
    ): Promise<Applied> => {
      if (!written) return { result: 'ignored' };
      if (moved) await counts.countChange(written);
      // Parsed only when read: the updater reads it only for a transaction whose events it hands on.
      let tx: Transaction | undefined;
      return {
        result: 'applied',
        appended,
        get tx() {
          tx ??= transactionSchema.parse(written);
          return tx;
        },
      };
    };
    switch (outcome.status) {
      case 'retrying': {
        const retried = await applyRetrying(outcome, dueAt);
        if (retried) return applied(retried);
        // History and attempts stay, but the sweep's due time moves on so it does not start another check.
        return applied(await refreshRetrying(outcome, dueAt), false, false);
      }
      case 'mined':
        return outcome.receipt ? applied(await applyMined(outcome, outcome.receipt, dueAt)) : { result: 'ignored' };
      case 'confirmed':
      case 'reverted':
        return outcome.receipt ? applied(await applySettled(outcome, outcome.receipt)) : { result: 'ignored' };
      case 'success':
      case 'failed': {
        if (outcome.canceled && outcome.receipt) return applied(await applySettled(outcome, outcome.receipt));
        if (outcome.stuck && outcome.status === 'success')
          return applied(await applyStuck(outcome, outcome.stuck), true, false);
        if (outcome.reorged && outcome.status === 'success') return applied(await applyReorg(outcome, dueAt));
        if (outcome.tracked && outcome.status === 'failed') return applied(await applyTrackedFailure(outcome));
        const latest = await applyBroadcastOutcome(outcome, dueAt, true);
        if (latest) return applied(latest);
        // An outcome from an earlier attempt than the one recorded (a duplicate delivery finished late)
        // still ends the attempts, without lowering `attempts`.
        return applied(await applyBroadcastOutcome(outcome, dueAt, false));
      }
    }
  }

  return {
    apply: write,
    markAnnounced(id, through) {
      return raiseNumber(doc, TableName, txKey(id), 'announced', through);
    },
    async applyOutcome(outcome, dueAt) {
      return (await write(outcome, dueAt)).result;
    },
  };
}

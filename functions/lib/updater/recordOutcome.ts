import { randomUUID } from 'node:crypto';
import { countOutcome } from '../metrics/countOutcome.ts';
import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { OutcomeWrites } from '../store/OutcomeWrites.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { dueForSweepAt, trackedStaleAfterMs } from '../transactions/dueForSweepAt.ts';
import { transactionEventTypes, webhookIdOf } from '../transactions/events.ts';
import {
  chainOfLook,
  type NotificationMessage,
  type ResponseMessage,
  type TrackMessage,
} from '../transactions/messages.ts';
import type { Transaction } from '../transactions/model.ts';

/** What recording an outcome needs: the table's outcome writes, the tracking queue, and its settings. */
export type RecordOutcomeDeps = {
  transactions: Pick<OutcomeWrites, 'apply' | 'markAnnounced'> & Pick<TransactionReads, 'get'>;
  tracking: QueueSender<TrackMessage>;
  /** The notifications queue, when webhooks are configured: each change applied becomes an event there. */
  notifications?: QueueSender<NotificationMessage> | undefined;
  staleAfterMs: number;
  /** Seconds before the next look at the chain: about a block of the transaction's chain (unknown: the default chain's). */
  trackAfterSeconds: (chainId: number | undefined) => number;
  newToken?: () => string;
  /** Where each applied change is counted (Broadcast, Mined, Failed by reason, ...); none: nothing is. */
  metrics?: Pick<ServiceMetricsSink<'updater'>, 'count' | 'timing'> | undefined;
};

/**
 * Applies one response's outcome to its transaction, forward only: a late or repeated response is
 * ignored, not an error. An open transaction becomes due for the sweep `staleAfterMs` after its
 * next attempt was scheduled (or after now). The broadcaster's `success`, once applied, starts the
 * tracking that follows the transaction to its block and its depth, and each applied report of the
 * tracker that goes on starts its next look: the token goes on the record in the same write, so a
 * repeated response starts no second tracking.
 */
export async function recordOutcome(
  deps: RecordOutcomeDeps,
  response: ResponseMessage,
  now: Date,
): Promise<'applied' | 'ignored'> {
  // The wire message says when the next attempt runs; the record keeps when the sweep should look.
  const { nextAttemptAt, chainId: _chain, ...outcome } = response;
  const from = nextAttemptAt ? Date.parse(nextAttemptAt) : now.getTime();
  // The broadcaster's success starts the tracking. A tracker's report that goes on (mined short of depth,
  // back from a reorg, flagged stuck) hands it on under a new token, so a look delivered twice, whose
  // second report is ignored, ends there instead of forking the tracking in two.
  const starts = outcome.status === 'success' && !outcome.reorged && !outcome.stuck;
  const goesOn = outcome.status === 'mined' || (outcome.status === 'success' && !starts);
  const trackToken = starts || goesOn ? (deps.newToken ?? randomUUID)() : undefined;
  const applied = await deps.transactions.apply(
    { ...outcome, ...(trackToken ? { trackToken } : {}) },
    // A tracked one is quiet between looks: the sweep gives it a few of them before restarting its tracking.
    dueForSweepAt(
      from,
      trackToken ? trackedStaleAfterMs(deps.staleAfterMs, deps.trackAfterSeconds(response.chainId)) : deps.staleAfterMs,
    ),
  );
  const result = applied.result;
  // Counted once: a repeat of this response is ignored, and a change that adds no entry (a spent attempt's
  // repeated report) is not one.
  if (deps.metrics && applied.result === 'applied' && applied.appended) {
    countOutcome(deps.metrics, outcome, () => applied.tx.createdAt);
  }
  // An ignored response may need the record as it is (below): read once.
  let reading: Promise<Transaction | undefined> | undefined;
  const read = () => {
    reading ??= deps.transactions.get(response.id);
    return reading;
  };
  if (deps.notifications) {
    // Every entry of the history not yet handed on is, now: this change's, and any an earlier delivery of
    // a response applied and then failed to send (that delivery threw; this may be its repeat, ignored, or
    // a later response). The mark moves after the sends, so a crash between them sends again, under the
    // same webhook-ids: delivered as one.
    const tx = applied.result === 'applied' ? applied.tx : await read();
    if (tx) await announceNew(deps, tx);
  }
  if (result === 'applied' && trackToken) {
    // If this send fails, the response is delivered again; if it is lost, the sweep finds the transaction due.
    await deps.tracking.send(
      { id: response.id, token: trackToken, ...chainOfLook(response.status, response.chainId) },
      deps.trackAfterSeconds(response.chainId),
    );
  }
  if (result === 'ignored' && starts) {
    // Ignored because an earlier delivery of this very response applied it and then failed to send the
    // tracking's first look (the record's last entry is this response's): send it now, under the token
    // that delivery wrote, rather than leave the transaction unfollowed until the sweep. (Not for a
    // tracker's report: two copies of one look may report at the same instant, and must not both go on.)
    const tx = await read();
    const last = tx?.history.at(-1);
    if (tx?.trackToken && last?.at === response.at && last.outcome === 'success') {
      await deps.tracking.send(
        { id: response.id, ...chainOfLook(last.outcome, tx.chainId), token: tx.trackToken },
        deps.trackAfterSeconds(tx.chainId),
      );
    }
  }
  return result;
}

/**
 * Hands to the notifier each event of a transaction with a callback URL that the record does not say was
 * handed on (its history's entries past `announced`), then moves the mark.
 */
async function announceNew(deps: RecordOutcomeDeps, tx: Transaction): Promise<void> {
  if (!deps.notifications || !tx.callbackUrl) return;
  const through = tx.history.length;
  const first = (tx.announced ?? 0) + 1;
  if (first > through) return;
  const notifications = deps.notifications;
  await Promise.all(
    tx.history.slice(first - 1).map((entry, i) =>
      notifications.send({
        event: {
          kind: 'transaction',
          id: webhookIdOf(tx.id, first + i),
          transactionId: tx.id,
          sequence: first + i,
          type: transactionEventTypes[entry.outcome],
          at: entry.at,
        },
      }),
    ),
  );
  await deps.transactions.markAnnounced(tx.id, through);
}

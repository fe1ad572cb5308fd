import { randomUUID } from 'node:crypto';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { OutcomeWrites } from '../store/OutcomeWrites.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { dueForSweepAt, trackedStaleAfterMs } from '../transactions/dueForSweepAt.ts';
import { transactionEventTypes, webhookIdOf } from '../transactions/events.ts';
import type { NotificationMessage, ResponseMessage, TrackMessage } from '../transactions/messages.ts';
import type { Transaction } from '../transactions/model.ts';

/** What recording an outcome needs: the table's outcome writes, the tracking queue, and its settings. */
export type RecordOutcomeDeps = {
  transactions: Pick<OutcomeWrites, 'apply'> & Pick<TransactionReads, 'get'>;
  tracking: QueueSender<TrackMessage>;
  /** The notifications queue, when webhooks are configured: each change applied becomes an event there. */
  notifications?: QueueSender<NotificationMessage> | undefined;
  staleAfterMs: number;
  /** Seconds before the next look at the chain: about a block of the transaction's chain (unknown: the default chain's). */
  trackAfterSeconds: (chainId: number | undefined) => number;
  newToken?: () => string;
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
  if (applied.result === 'applied' && applied.appended) await announce(deps, applied.tx, applied.tx.history.length);
  if (result === 'applied' && trackToken) {
    // If this send fails, the response is delivered again; if it is lost, the sweep finds the transaction due.
    await deps.tracking.send({ id: response.id, token: trackToken }, deps.trackAfterSeconds(response.chainId));
  }
  if (result === 'ignored' && deps.notifications) {
    // Ignored because an earlier delivery of this very response applied it and then failed to send its
    // event (the record's last entry is this response's): send it now. The event's webhook-id is its
    // place in the history, so an event sent twice is delivered as one.
    const tx = await deps.transactions.get(response.id);
    const last = tx?.history.at(-1);
    if (tx && last?.at === response.at && last.attempt === response.attempt)
      await announce(deps, tx, tx.history.length);
  }
  if (result === 'ignored' && starts) {
    // Ignored because an earlier delivery of this very response applied it and then failed to send the
    // tracking's first look (the record's last entry is this response's): send it now, under the token
    // that delivery wrote, rather than leave the transaction unfollowed until the sweep. (Not for a
    // tracker's report: two copies of one look may report at the same instant, and must not both go on.)
    const tx = await deps.transactions.get(response.id);
    const last = tx?.history.at(-1);
    if (tx?.trackToken && last?.at === response.at && last.outcome === 'success') {
      await deps.tracking.send({ id: response.id, token: tx.trackToken }, deps.trackAfterSeconds(tx.chainId));
    }
  }
  return result;
}

/** Hands event `sequence` of a transaction (its history entry of that place) to the notifier, if it has a callback URL. */
async function announce(deps: RecordOutcomeDeps, tx: Transaction, sequence: number): Promise<void> {
  const entry = tx.history[sequence - 1];
  if (!deps.notifications || !tx.callbackUrl || !entry) return;
  // If this send fails, the response is delivered again, and the ignored repeat sends it (above).
  await deps.notifications.send({
    event: {
      kind: 'transaction',
      id: webhookIdOf(tx.id, sequence),
      transactionId: tx.id,
      sequence,
      type: transactionEventTypes[entry.outcome],
      at: entry.at,
    },
  });
}

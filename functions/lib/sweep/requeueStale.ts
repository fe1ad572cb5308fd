import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { SweepWrites } from '../store/SweepWrites.ts';
import type { StaleTransaction, TransactionReads } from '../store/TransactionReads.ts';
import { dueForSweepAt } from '../transactions/dueForSweepAt.ts';
import type { BroadcastMessage, TrackMessage } from '../transactions/messages.ts';
import { isTracked } from '../transactions/model.ts';

export type RequeueDeps = {
  transactions: Pick<TransactionReads, 'findStale' | 'get'> & SweepWrites;
  requests: QueueSender<BroadcastMessage>;
  tracking: QueueSender<TrackMessage>;
  logger: Logger;
  newToken?: () => string;
  /**
   * How many messages the requests and responses queues hold, waiting or in flight (undefined when they
   * cannot be read). While any do, the workers are behind: a transaction not yet broadcast, or whose
   * outcome the updater has not yet applied, is in that line, not lost, and another message for it would
   * only lengthen the line the sweep is meant to help.
   */
  backlog?: () => Promise<number | undefined>;
  /** Where each run's count is published (Requeued, 0 included); none: it is not. */
  metrics?: Pick<ServiceMetricsSink<'sweep'>, 'count'> | undefined;
};

/** When a sweep looks, for how long a transaction may stand still, and how many it takes in one run. */
export type RequeueSettings = {
  now: number;
  staleAfterMs: number;
  maxAttempts: number;
  limit?: number;
  /** For a tracked one restarted: long enough for a few looks on the slowest chain (two misses decide). */
  trackedStaleAfterMs?: number;
  /**
   * Left to a busy queue this many times, one is sent again all the same (then again after as many): its
   * message may be the one lost (in the dead-letter queue), and a queue that never drains would otherwise
   * keep it from ever being sent. At most one more message per this many sweeps under a backlog.
   */
  resendAfterPostpones?: number;
};

/** The default of `resendAfterPostpones`: ten sweeps (ten minutes on AWS) of a backlog. */
export const defaultResendAfterPostpones = 10;

/**
 * How many stale periods one left to a busy line is postponed: one per hundred messages waiting, at most
 * sixteen. A long line takes long to work through, and the sweep that postponed each of its rows every
 * period spent the workers' table and cores on it (a fifth of the drain time, measured).
 */
export function backlogStalePeriods(waiting: number): number {
  return Math.min(16, Math.max(1, Math.ceil(waiting / 100)));
}

/**
 * Enqueues again every open transaction that has not moved for the stale period (found through the
 * sparse `open` index, never a scan), then moves its due time on so the next sweep leaves it be. One
 * the node took (`success`, `mined`) gets a new tracking instead, whose token stops any older one.
 * While the requests queue has a backlog, one not yet broadcast is only postponed: the sweep never
 * adds to a line the workers are behind on (a lost message is re-enqueued once the line has drained, or,
 * in a line that never drains, every `resendAfterPostpones`th postponement, unless the line was shorter
 * than at the one before: it is being worked through, and a resend would only double the work).
 */
export async function requeueStale(deps: RequeueDeps, settings: RequeueSettings): Promise<number> {
  const requeued = await requeueDue(deps, settings);
  deps.metrics?.count('requeued', requeued);
  return requeued;
}

/** The run itself: how many it sent again (a transaction postponed, or whose send failed, is not counted). */
async function requeueDue(
  deps: RequeueDeps,
  {
    now,
    staleAfterMs,
    maxAttempts,
    limit = 1000,
    trackedStaleAfterMs = staleAfterMs,
    resendAfterPostpones = defaultResendAfterPostpones,
  }: RequeueSettings,
): Promise<number> {
  const stale = await deps.transactions.findStale(now, limit);
  if (stale.length === 0) return 0;
  const dueAt = dueForSweepAt(now, staleAfterMs);
  // Unknown (the queue did not answer): as before, re-enqueue; a duplicate message is harmless, a lost one is not.
  const waiting = (await deps.backlog?.().catch(() => undefined)) ?? 0;
  let leftToQueue = 0;
  const backlogDueAt = dueForSweepAt(now, staleAfterMs * backlogStalePeriods(waiting));
  const trackedDueAt = dueForSweepAt(now, Math.max(staleAfterMs, trackedStaleAfterMs));
  // One failed send must not stop the others: what is not re-enqueued stays due for the next sweep.
  const results = await Promise.allSettled(
    stale.map(async (entry) => {
      const { id, attempts } = entry;
      // An index made before it copied the status: read it from the table.
      const status = entry.status ?? (await deps.transactions.get(id))?.status;
      if (status && isTracked(status)) return track(deps, entry, trackedDueAt);
      if (status === undefined) return false; // gone since the index was read
      const leftToBacklog = waiting > 0;
      if (leftToBacklog) {
        const postponed = await deps.transactions.postponeForBacklog(id, backlogDueAt, waiting);
        if (postponed === undefined) return false; // closed since the index was read
        // A line that shrank since this one's last postponement is being worked through: its message comes.
        const draining = postponed.previousBacklog !== undefined && waiting < postponed.previousBacklog;
        if (postponed.times % resendAfterPostpones !== 0 || draining) {
          leftToQueue++;
          return false;
        }
      }
      // Attempts left: the next one; every attempt spent: settle what the last one left open.
      const message: BroadcastMessage =
        attempts < maxAttempts
          ? { id, attempt: attempts + 1, phase: 'broadcast' }
          : { id, attempt: maxAttempts, phase: 'settle' };
      await deps.requests.send(message);
      if (!leftToBacklog) await deps.transactions.postpone(id, dueAt);
      deps.logger.info('re-enqueued a stale transaction', { transactionId: id, ...message });
      return true;
    }),
  );
  if (leftToQueue > 0)
    deps.logger.info('the requests queue has a backlog: stale transactions are left to it, postponed', {
      waiting,
      postponed: leftToQueue,
    });
  const failures = results.filter((r) => r.status === 'rejected');
  if (failures.length > 0) {
    deps.logger.error('some stale transactions could not be re-enqueued; the next sweep tries again', {
      failed: failures.length,
      error: failures[0]?.reason,
    });
  }
  return results.filter((r) => r.status === 'fulfilled' && r.value).length;
}

/** A tracked transaction whose tracking went quiet: a new token on the record (the old tracking stops), then a look. */
async function track(deps: RequeueDeps, { id }: StaleTransaction, dueAt: number): Promise<boolean> {
  const token = (deps.newToken ?? randomUUID)();
  if (!(await deps.transactions.restartTracking(id, token, dueAt))) return false;
  await deps.tracking.send({ id, token });
  deps.logger.info('tracking started again for a quiet transaction', { transactionId: id });
  return true;
}

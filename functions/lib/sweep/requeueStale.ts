import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { SweepWrites } from '../store/SweepWrites.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { dueForSweepAt } from '../transactions/dueForSweepAt.ts';
import type { BroadcastMessage } from '../transactions/messages.ts';

/**
 * Enqueues again every open transaction that has not moved for the stale period (found through the
 * sparse `open` index, never a scan), then moves its due time on so the next sweep leaves it be.
 */
export async function requeueStale(
  deps: {
    transactions: Pick<TransactionReads, 'findStale'> & SweepWrites;
    requests: QueueSender<BroadcastMessage>;
    logger: Logger;
  },
  {
    now,
    staleAfterMs,
    maxAttempts,
    limit = 1000,
  }: { now: number; staleAfterMs: number; maxAttempts: number; limit?: number },
): Promise<number> {
  const stale = await deps.transactions.findStale(now, limit);
  // One failed send must not stop the others: what is not re-enqueued stays due for the next sweep.
  const results = await Promise.allSettled(
    stale.map(async ({ id, attempts }) => {
      // Attempts left: the next one; every attempt spent: settle what the last one left open.
      const message: BroadcastMessage =
        attempts < maxAttempts
          ? { id, attempt: attempts + 1, phase: 'broadcast' }
          : { id, attempt: maxAttempts, phase: 'settle' };
      await deps.requests.send(message);
      await deps.transactions.postpone(id, dueForSweepAt(now, staleAfterMs));
      deps.logger.info('re-enqueued a stale transaction', { transactionId: id, ...message });
    }),
  );
  const failures = results.filter((r) => r.status === 'rejected');
  if (failures.length > 0) {
    deps.logger.error('some stale transactions could not be re-enqueued; the next sweep tries again', {
      failed: failures.length,
      error: failures[0]?.reason,
    });
  }
  return results.length - failures.length;
}

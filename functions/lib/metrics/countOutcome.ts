import type { TransactionOutcome } from '../transactions/model.ts';
import type { ServiceMetricsSink } from './createServiceMetrics.ts';
import { failureReasonOf } from './failureReason.ts';

/**
 * Counts one outcome the updater applied (a change that added an entry to the transaction's history;
 * an ignored or repeated one is never passed here): Broadcast and TimeToBroadcast for the node's first
 * acceptance, Retried, Mined, Confirmed or Reverted with TimeToConfirm, Failed by reason. A reorg's step
 * back and a stuck flag count nothing here (the tracker counts StuckAtFeeCap). `createdAt` is read only
 * for a duration.
 */
export function countOutcome(
  metrics: Pick<ServiceMetricsSink<'updater'>, 'count' | 'timing'>,
  outcome: TransactionOutcome,
  createdAt: () => string,
): void {
  // From creation to the report: two functions' clocks, so never below 0.
  const sinceCreated = () => Math.max(0, Date.parse(outcome.at) - Date.parse(createdAt()));
  switch (outcome.status) {
    case 'success':
      if (outcome.reorged || outcome.stuck) return;
      metrics.count('broadcast', 1);
      metrics.timing('timeToBroadcast', sinceCreated());
      return;
    case 'retrying':
      metrics.count('retried', 1);
      return;
    case 'mined':
      metrics.count('mined', 1);
      return;
    case 'confirmed':
    case 'reverted':
      metrics.count(outcome.status, 1);
      metrics.timing('timeToConfirm', sinceCreated());
      return;
    case 'failed':
      metrics.count('failed', 1, { reason: failureReasonOf(outcome) });
      return;
  }
}

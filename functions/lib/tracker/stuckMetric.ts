import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { TrackDeps } from './trackTransaction.ts';

/**
 * trackTransaction's count of a transaction found waiting at the fee cap, as StuckAtFeeCap. No chain
 * dimension: the stack's one alarm covers every chain (the tracker's warning names it).
 */
export function stuckMetric(metrics: Pick<ServiceMetricsSink<'tracker'>, 'count'>): TrackDeps['metrics'] {
  return { stuck: () => metrics.count('stuck', 1) };
}

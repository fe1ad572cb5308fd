import type { ServiceMetricsSink } from '../../functions/lib/metrics/createServiceMetrics.ts';
import type { MetricService, ServiceMetricKey } from '../../functions/lib/metrics/serviceMetrics.ts';

/** One data point a sink was given: the metric's key, its value, and its dimensions if it has any. */
export type RecordedPoint = {
  key: ServiceMetricKey;
  value: number;
  dimensions?: Readonly<Record<string, string | number>>;
};

/** A sink of function `S`'s metrics that keeps every point it is given, in order. */
export function recordingMetrics<S extends MetricService>(): {
  sink: ServiceMetricsSink<S>;
  points: RecordedPoint[];
  /** The values given to `key`, in order. */
  values: (key: ServiceMetricKey) => number[];
} {
  const points: RecordedPoint[] = [];
  const put = (key: ServiceMetricKey, value: number, dimensions?: Readonly<Record<string, string | number>>) =>
    void points.push(dimensions ? { key, value, dimensions } : { key, value });
  return {
    sink: {
      count: (key, n, ...[dimensions]) => put(key, n, dimensions),
      timing: (key, ms) => put(key, ms),
      gauge: (key, value, ...[dimensions]) => put(key, value, dimensions),
    },
    points,
    values: (key) => points.filter((p) => p.key === key).map((p) => p.value),
  };
}

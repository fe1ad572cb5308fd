import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import {
  type MetricService,
  metricsNamespace,
  type ServiceMetric,
  type ServiceMetricKey,
  serviceMetrics,
} from './serviceMetrics.ts';

type Entries = typeof serviceMetrics;

/** The keys of the metrics function `S` emits, of unit `U` (any unit when not given). */
export type MetricKeyOf<S extends MetricService, U extends ServiceMetric['unit'] = ServiceMetric['unit']> = {
  [K in ServiceMetricKey]: Entries[K]['service'] extends S ? (Entries[K]['unit'] extends U ? K : never) : never;
}[ServiceMetricKey];

/** A dimension a metric may have besides `service`. */
export type MetricDimension = NonNullable<ServiceMetric['dimensions']>[number];

/** The dimensions a data point of metric `K` names: every one of its list entry's, or none. */
export type DimensionsOf<K extends ServiceMetricKey> = Entries[K] extends {
  readonly dimensions: readonly (infer D extends MetricDimension)[];
}
  ? { readonly [N in D]: string | number }
  : never;

/** The argument list's tail for metric `K`: its dimensions when it has any, else nothing. */
export type DimensionsArg<K extends ServiceMetricKey> = [DimensionsOf<K>] extends [never]
  ? []
  : [dimensions: DimensionsOf<K>];

/**
 * What the domain code of function `S` emits through: only the metrics serviceMetrics names for `S`,
 * each with the unit and the dimensions the list gives it. Domain code takes this (or a `Pick` of it)
 * as a dependency; tests pass a fake that records.
 */
export type ServiceMetricsSink<S extends MetricService> = {
  /** `n` of a Count metric (a reading for a Count the dashboard reads as a maximum, e.g. NonceLag). */
  count<K extends MetricKeyOf<S, 'Count'>>(key: K, n: number, ...dimensions: DimensionsArg<K>): void;
  /** A duration, in milliseconds. */
  timing<K extends MetricKeyOf<S, 'Milliseconds'>>(key: K, ms: number): void;
  /** A reading with no unit (a balance in ether). */
  gauge<K extends MetricKeyOf<S, 'None'>>(key: K, value: number, ...dimensions: DimensionsArg<K>): void;
};

/** A function's sink, and the flush its handler calls at the end of each invocation. */
export type ServiceMetricsEmitter<S extends MetricService> = ServiceMetricsSink<S> & {
  /** Writes what this invocation stored (one EMF line, to stdout); writes nothing when nothing was stored. */
  flush(): void;
};

const units = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  None: MetricUnit.NoUnit,
} as const satisfies Record<ServiceMetric['unit'], (typeof MetricUnit)[keyof typeof MetricUnit]>;

/**
 * The metrics of function `service`, through Powertools Metrics (CloudWatch EMF in the function's log,
 * namespace `metricsNamespace`, dimension `service`). A data point without dimensions is stored and
 * written by `flush`, one line for the invocation. One with dimensions is written at once on a line of
 * its own (Powertools' single metric) with `service` and those dimensions, and also stored under
 * `service` alone, the series the alarms and the dashboard's totals read (Sum of a count; Maximum of a
 * reading such as NonceLag), unless its list entry says `only`.
 */
export function createServiceMetrics<S extends MetricService>(
  service: S,
  /** `logger`: where Powertools reports a data point it cannot publish (the function's logger). */
  options: Pick<MetricsOptions, 'logger'> = {},
): ServiceMetricsEmitter<S> {
  const metrics = new Metrics({ namespace: metricsNamespace, serviceName: service, ...options });
  const put = (
    key: ServiceMetricKey,
    value: number,
    dimensions?: Partial<Record<MetricDimension, string | number>>,
  ) => {
    const metric: ServiceMetric = serviceMetrics[key];
    const unit = units[metric.unit];
    if (dimensions) {
      const line = metrics.singleMetric();
      for (const name of metric.dimensions ?? []) {
        const dimension = dimensions[name];
        if (dimension !== undefined) line.addDimension(name, String(dimension));
      }
      line.addMetric(metric.name, unit, value);
    }
    if (!metric.only) metrics.addMetric(metric.name, unit, value);
  };
  return {
    count: (key, n, ...[dimensions]) => put(key, n, dimensions),
    timing: (key, ms) => put(key, ms),
    gauge: (key, value, ...[dimensions]) => put(key, value, dimensions),
    flush() {
      // Powertools warns on every publish with nothing stored: most invocations of most functions store nothing.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

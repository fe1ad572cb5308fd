import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { metricsNamespace, type ServiceMetricKey, serviceMetrics } from '../../functions/lib/metrics/serviceMetrics.ts';
import type { FunctionName, QueueName } from '../topology.ts';
import type { BroadcasterFunction } from './BroadcasterFunction.ts';

/** The statistic and period a service metric is read with, on the dashboard and in an alarm. */
export type ServiceMetricRead = { statistic?: string; period?: Duration; label?: string };

/**
 * One of the service's own metrics (functions/lib/metrics/serviceMetrics.ts) as CloudWatch stores it: by
 * the `service` dimension alone, the series every emitter writes (the total, or for a metric with
 * dimensions, its largest value).
 */
export function serviceMetric(key: ServiceMetricKey, read: ServiceMetricRead = {}): Metric {
  const m = serviceMetrics[key];
  return new Metric({
    namespace: metricsNamespace,
    metricName: m.name,
    dimensionsMap: { service: m.service },
    statistic: read.statistic ?? (m.unit === 'Count' ? 'Sum' : 'Average'),
    period: read.period ?? Duration.minutes(1),
    // No label unless asked: an alarm on a labelled metric is written as a metric-math alarm.
    ...(read.label ? { label: read.label } : {}),
  });
}

/** Every series of a metric emitted with its extra dimensions (each signer on each chain): a SEARCH expression. */
function perDimension(key: ServiceMetricKey, statistic: string, period: Duration): MathExpression {
  const m = serviceMetrics[key];
  const dimensions = ['service', ...('dimensions' in m ? m.dimensions : [])].sort().join(',');
  return new MathExpression({
    expression: `SEARCH('{${metricsNamespace},${dimensions}} MetricName="${m.name}" service="${m.service}"', '${statistic}', ${period.toSeconds()})`,
    label: m.name,
    usingMetrics: {},
    period,
  });
}

/** The resources the dashboard shows. */
export type DashboardParts = {
  httpApi: HttpApi;
  functions: Record<FunctionName, BroadcasterFunction>;
  queues: Record<QueueName, Queue>;
  deadLetterQueues: Record<QueueName, Queue>;
  table: Table;
};

const width = 24;
const graph = (title: string, left: IMetric[], options: { right?: IMetric[]; cols?: number } = {}) =>
  new GraphWidget({
    title,
    left,
    ...(options.right ? { right: options.right } : {}),
    width: options.cols ?? 8,
    height: 6,
  });
const heading = (markdown: string) => new TextWidget({ markdown, width, height: 1 });

/**
 * The operator's dashboard, one row per concern, top to bottom: the API; the functions; the queues and
 * their DLQs; the table; the transactions' lifecycle (the service's own metrics); the signers; webhooks;
 * and the logs (latest failures by transaction id, top error messages). README: "The dashboard".
 */
export function operatorDashboard(scope: Construct, id: string, parts: DashboardParts): Dashboard {
  const period = Duration.minutes(1);
  const five = Duration.minutes(5);
  const fns = Object.entries(parts.functions) as Array<[FunctionName, BroadcasterFunction]>;
  const queues = Object.entries(parts.queues) as Array<[QueueName, Queue]>;
  const widgets: IWidget[][] = [
    [heading('## API (HTTP API, all routes)')],
    [
      graph('Requests', [parts.httpApi.metricCount({ period, statistic: 'Sum', label: 'requests' })]),
      graph('4xx and 5xx', [
        parts.httpApi.metricClientError({ period, statistic: 'Sum', label: '4xx' }),
        parts.httpApi.metricServerError({ period, statistic: 'Sum', label: '5xx' }),
      ]),
      graph('Latency (ms)', [
        parts.httpApi.metricLatency({ period, statistic: 'p50', label: 'p50' }),
        parts.httpApi.metricLatency({ period, statistic: 'p99', label: 'p99' }),
      ]),
    ],
    [heading('## Functions')],
    [
      graph(
        'Invocations',
        fns.map(([name, fn]) => fn.metricInvocations({ period, statistic: 'Sum', label: name })),
        { cols: 6 },
      ),
      graph(
        'Errors',
        fns.map(([name, fn]) => fn.metricErrors({ period, statistic: 'Sum', label: name })),
        { cols: 6 },
      ),
      graph(
        'Throttles',
        fns.map(([name, fn]) => fn.metricThrottles({ period, statistic: 'Sum', label: name })),
        { cols: 6 },
      ),
      graph(
        'Duration p99 (ms)',
        fns.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p99', label: name })),
        { cols: 6 },
      ),
    ],
    [
      graph(
        'Concurrent executions',
        fns.map(([name, fn]) => fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum', label: name })),
        { cols: 24 },
      ),
    ],
    [heading('## Queues')],
    [
      graph(
        'Messages waiting',
        queues.map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: name }),
        ),
      ),
      graph(
        'Oldest message (s)',
        queues.map(([name, q]) => q.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: name })),
      ),
      graph(
        'Dead-letter queues (should stay at 0)',
        queues.map(([name]) =>
          parts.deadLetterQueues[name].metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Maximum',
            label: `${name} DLQ`,
          }),
        ),
      ),
    ],
    [heading('## Table')],
    [
      graph(
        'Throttled reads and writes',
        [
          parts.table.metric('ReadThrottleEvents', { period, statistic: 'Sum', label: 'read throttles' }),
          parts.table.metric('WriteThrottleEvents', { period, statistic: 'Sum', label: 'write throttles' }),
        ],
        { cols: 12 },
      ),
      graph(
        'Capacity consumed',
        [
          parts.table.metricConsumedReadCapacityUnits({ period, statistic: 'Sum', label: 'read units' }),
          parts.table.metricConsumedWriteCapacityUnits({ period, statistic: 'Sum', label: 'write units' }),
        ],
        { cols: 12 },
      ),
    ],
    [heading('## Transactions (the service’s own metrics)')],
    [
      graph(
        'Lifecycle',
        (['submitted', 'broadcast', 'mined', 'confirmed'] as const).map((k) => serviceMetric(k, { period })),
      ),
      graph(
        'Trouble',
        (['reverted', 'failed', 'retried', 'repriced', 'stuck', 'fillers', 'requeued'] as const).map((k) =>
          serviceMetric(k, { period }),
        ),
      ),
      graph('Time to broadcast and to confirm (ms)', [
        serviceMetric('timeToBroadcast', { period: five, statistic: 'p50', label: 'to broadcast p50' }),
        serviceMetric('timeToBroadcast', { period: five, statistic: 'p99', label: 'to broadcast p99' }),
        serviceMetric('timeToConfirm', { period: five, statistic: 'p50', label: 'to confirm p50' }),
        serviceMetric('timeToConfirm', { period: five, statistic: 'p99', label: 'to confirm p99' }),
      ]),
    ],
    [graph('Failed, by reason', [perDimension('failed', 'Sum', five)], { cols: 24 })],
    [heading('## Signers')],
    [
      graph('Balance per signer and chain (ether)', [perDimension('signerBalance', 'Minimum', five)]),
      graph('Nonce lag per signer and chain (taken, not mined)', [perDimension('nonceLag', 'Maximum', five)]),
      graph('Signers low on balance, stalled', [
        serviceMetric('lowBalance', { period: five, statistic: 'Maximum' }),
        serviceMetric('stalledSigners', { period: five, statistic: 'Maximum' }),
        serviceMetric('nonceLag', { period: five, statistic: 'Maximum', label: 'largest nonce lag' }),
      ]),
    ],
    [heading('## Webhooks')],
    [
      graph(
        'Deliveries',
        (['webhookDelivered', 'webhookFailed', 'webhookGaveUp'] as const).map((k) => serviceMetric(k, { period })),
        { cols: 24 },
      ),
    ],
    [heading('## Logs')],
    [
      new LogQueryWidget({
        title: 'Latest failures, by transaction id',
        logGroupNames: [parts.functions.updater, parts.functions.broadcaster, parts.functions.tracker].map(
          (fn) => fn.logGroup.logGroupName,
        ),
        queryLines: [
          'fields @timestamp, transactionId, status, level, message',
          "filter ispresent(transactionId) and (status = 'failed' or status = 'reverted' or level = 'ERROR')",
          'sort @timestamp desc',
          'limit 50',
        ],
        width: 12,
        height: 8,
      }),
      new LogQueryWidget({
        title: 'Top error messages',
        logGroupNames: fns.map(([, fn]) => fn.logGroup.logGroupName),
        queryLines: [
          'fields @timestamp, message, error.name',
          "filter level = 'ERROR' or level = 'WARN'",
          'stats count(*) as times by level, message',
          'sort times desc',
          'limit 20',
        ],
        width: 12,
        height: 8,
      }),
    ],
  ];
  return new Dashboard(scope, id, { defaultInterval: Duration.hours(3), widgets });
}

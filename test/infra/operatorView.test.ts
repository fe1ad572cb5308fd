import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricsNamespace, serviceMetrics } from '../../functions/lib/metrics/serviceMetrics.ts';
import type { BroadcasterStack } from '../../infra/stack/BroadcasterStack.ts';
import { buildApp } from '../../infra/stack/buildApp.ts';
import { type FunctionName, functionNames, tableAccess } from '../../infra/topology.ts';

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON
type Json = any;

let stack: BroadcasterStack;
let json: Json;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], chainId: '11155111' } });
  // An empty settings directory: the repository's deploy/ files are no test's business.
  stack = buildApp(app, { settingsDir: mkdtempSync(join(tmpdir(), 'operator-view-')) });
  json = Template.fromStack(stack).toJSON();
});

const resources = (type: string): Array<[string, Json]> =>
  Object.entries(json.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

/** A value with every `Fn::Join` joined and every other intrinsic written `<token>`: the text CloudWatch gets. */
const text = (v: Json): string => {
  if (typeof v === 'string') return v;
  if (Array.isArray(v?.['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'];
    return (parts as Json[]).map(text).join(separator);
  }
  return '<token>';
};

/** The dashboard's body as CloudWatch reads it. */
function dashboardBody(): Json {
  const [[, dashboard] = []] = resources('AWS::CloudWatch::Dashboard');
  expect(dashboard, 'the stack has a dashboard').toBeDefined();
  return JSON.parse(text(dashboard.Properties.DashboardBody));
}

/** The metric names of the service's namespace that a widget's metrics or SEARCH expressions name. */
function serviceMetricNames(widget: Json): string[] {
  const names: string[] = [];
  for (const row of widget.properties?.metrics ?? []) {
    if (row[0] === metricsNamespace) names.push(row[1]);
    const expression = row.find?.((x: Json) => typeof x?.expression === 'string')?.expression as string | undefined;
    const searched = expression?.match(/MetricName="([^"]+)"/);
    if (searched?.[1] && expression?.includes(`{${metricsNamespace},`)) names.push(searched[1]);
  }
  return names;
}

describe('the operator dashboard', () => {
  it('shows every metric the service emits, and names none that it does not', () => {
    const widgets: Json[] = dashboardBody().widgets;
    const shown = new Set(widgets.flatMap(serviceMetricNames));
    const listed = new Set<string>(Object.values(serviceMetrics).map((m) => m.name));
    expect(
      [...shown].filter((n) => !listed.has(n)),
      'names no metric missing from serviceMetrics',
    ).toEqual([]);
    expect(
      [...listed].filter((n) => !shown.has(n)),
      'shows each metric of serviceMetrics',
    ).toEqual([]);
  });

  it('reads each service metric by the service that emits it', () => {
    for (const widget of dashboardBody().widgets as Json[])
      for (const row of widget.properties?.metrics ?? []) {
        if (row[0] !== metricsNamespace) continue;
        const metric = Object.values(serviceMetrics).find((m) => m.name === row[1]);
        expect(row.slice(2, 4), `${row[1]} on "${widget.properties.title}"`).toEqual(['service', metric?.service]);
      }
  });

  it('has the API, each function, each queue and DLQ, the table and the logs', () => {
    const widgets: Json[] = dashboardBody().widgets;
    const metrics = widgets.flatMap((w) => (w.properties?.metrics ?? []) as Json[]);
    const of = (namespace: string, name: string) => metrics.filter((m) => m[0] === namespace && m[1] === name);
    for (const name of ['Count', '4xx', '5xx', 'Latency']) expect(of('AWS/ApiGateway', name), name).not.toHaveLength(0);
    const fnCount = functionNames.length;
    for (const name of ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'])
      expect(of('AWS/Lambda', name).length, name).toBeGreaterThanOrEqual(fnCount);
    const queueCount = Object.keys(stack.queues).length;
    // Each queue's depth, and each DLQ's: twice the queues.
    expect(of('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(2 * queueCount);
    expect(of('AWS/SQS', 'ApproximateAgeOfOldestMessage')).toHaveLength(queueCount);
    for (const name of ['ReadThrottleEvents', 'WriteThrottleEvents'])
      expect(of('AWS/DynamoDB', name), name).toHaveLength(1);
    const queries = widgets.filter((w) => w.type === 'log').map((w) => String(w.properties.query));
    expect(queries.some((q) => q.includes('transactionId') && q.includes("status = 'failed'"))).toBe(true);
    expect(queries.some((q) => q.includes('stats count(*)') && q.includes("level = 'ERROR'"))).toBe(true);
  });
});

describe('the alarms on the service’s own metrics', () => {
  const alarms = () =>
    new Map(resources('AWS::CloudWatch::Alarm').map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r.Properties]));

  it('watch the failure rate, stuck and stalled signers, low balances, webhooks given up and API 5xx', () => {
    const all = alarms();
    const metricOf = (id: string): string[] => {
      const p = all.get(id);
      expect(p, id).toBeDefined();
      if (p.MetricName) return [p.MetricName];
      return (p.Metrics as Json[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []));
    };
    expect(metricOf('FailureRate').sort()).toEqual(
      [serviceMetrics.confirmed.name, serviceMetrics.failed.name, serviceMetrics.reverted.name].sort(),
    );
    expect(metricOf('SignerStalled')).toEqual([serviceMetrics.stalledSigners.name]);
    expect(metricOf('StuckAtFeeCap')).toEqual([serviceMetrics.stuck.name]);
    expect(metricOf('SignersLowOnBalance')).toEqual([serviceMetrics.lowBalance.name]);
    expect(metricOf('WebhookGaveUp')).toEqual([serviceMetrics.webhookGaveUp.name]);
    expect(metricOf('Api5xx')).toEqual(['5xx']);
    for (const [id, p] of all) {
      expect(p.AlarmActions, `${id} tells the topic`).toHaveLength(1);
      expect(p.AlarmDescription, `${id} says what to do`).toMatch(/\w{3,}.*\w{3,}/);
    }
  });

  it('read each service metric by the service that emits it', () => {
    for (const [id, p] of alarms()) {
      const stats: Json[] = p.MetricName
        ? [p]
        : (p.Metrics as Json[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
      for (const m of stats) {
        if (m.Namespace !== metricsNamespace) continue;
        const listed = Object.values(serviceMetrics).find((s) => s.name === m.MetricName);
        expect(listed, `${id}: ${m.MetricName} is a metric of serviceMetrics`).toBeDefined();
        expect(m.Dimensions, id).toEqual([{ Name: 'service', Value: listed?.service }]);
      }
    }
  });

  it('computes the failure rate as failed over ended, 0 when none ended, 100% when all failed', () => {
    const p = alarms().get('FailureRate');
    const expression = (p.Metrics as Json[]).find((m) => m.Expression)?.Expression;
    // Every series filled with 0 where it has no datapoint: a window with failures and nothing confirmed is 100%.
    const ended = 'FILL(confirmed, 0) + FILL(reverted, 0) + FILL(failed, 0)';
    expect(expression).toBe(`IF(${ended} > 0, 100 * FILL(failed, 0) / (${ended}), 0)`);
    expect(p.Threshold).toBe(10);
  });
});

describe('table grants', () => {
  /** The DynamoDB actions a function's role may take. */
  function dynamoActions(fn: FunctionName): string[] {
    const role = stack.functions[fn].role;
    const roleId = role && stack.resolve((role.node.defaultChild as Json).logicalId);
    const policies = resources('AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId),
    );
    return policies
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[])
      .filter((a) => a.startsWith('dynamodb:'))
      .map((a) => a.slice('dynamodb:'.length))
      .sort();
  }

  it('give each function exactly the table actions topology.ts lists, not every data action', () => {
    for (const fn of Object.keys(tableAccess) as Array<keyof typeof tableAccess>)
      expect(dynamoActions(fn), fn).toEqual([...tableAccess[fn]].sort());
    // Only the sweep deletes; nobody scans or deletes the table.
    const everyone = functionNames.flatMap(dynamoActions);
    expect(everyone).not.toContain('Scan');
    expect(everyone).not.toContain('DeleteTable');
    expect(functionNames.filter((fn) => dynamoActions(fn).includes('DeleteItem'))).toEqual(['sweep']);
    expect(dynamoActions('authorizer')).toEqual([]);
  });

  it('covers the table and its indexes', () => {
    const policy = resources('AWS::IAM::Policy').find(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Json[]).some((s) => [s.Action].flat().includes('dynamodb:UpdateItem')),
    );
    const statement = ((policy?.[1].Properties.PolicyDocument.Statement ?? []) as Json[]).find((s) =>
      [s.Action].flat().includes('dynamodb:UpdateItem'),
    );
    const targets = (statement.Resource as Json[]).map(text);
    expect(targets.some((t) => t.endsWith('/index/*'))).toBe(true);
    expect(Token.isUnresolved(stack.table.tableArn)).toBe(true);
  });
});

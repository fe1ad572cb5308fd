import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepLeaseSeconds } from '../../functions/lib/sweep/sweepLease.ts';
import { planPollers } from '../../infra/local/planPollers.ts';
import { runnerSettings } from '../../infra/local/runnerSettings.ts';
import type { BroadcasterStack } from '../../infra/stack/BroadcasterStack.ts';
import { buildApp } from '../../infra/stack/buildApp.ts';
import {
  batchSize,
  deadLetterAccess,
  type FunctionName,
  functionNames,
  functions,
  type QueueName,
  queueAccess,
  queueNames,
  queues,
  reservedConcurrency,
  retention,
  signingLease,
  sweepSchedule,
  table,
  visibility,
  visibilityTimeoutSeconds,
  workers,
} from '../../infra/topology.ts';

// The stack and the local runner read one topology (infra/topology.ts). These tests read the synthesized
// template back into the topology's terms and compare it with the topology and with the runner's plan,
// so that a mapping, a batch size, a timeout or a schedule written by hand in either one fails here.

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON
type Json = any;

type Synth = { stack: BroadcasterStack; json: Json; workers: number; batchSize: number; reserve: boolean };

/** No settings file: every property here comes from context. */
const noSettingsDir = mkdtempSync(join(tmpdir(), 'topology-settings-'));
afterAll(() => rmSync(noSettingsDir, { recursive: true, force: true }));

function synth(context: { workers?: number; batchSize?: number; reserveConcurrency?: boolean } = {}): Synth {
  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      chainId: '11155111',
      ...Object.fromEntries(Object.entries(context).map(([k, v]) => [k, String(v)])),
    },
  });
  const stack = buildApp(app, { settingsDir: noSettingsDir });
  return {
    stack,
    json: Template.fromStack(stack).toJSON(),
    workers: context.workers ?? workers.default,
    batchSize: context.batchSize ?? batchSize.default,
    reserve: context.reserveConcurrency ?? false,
  };
}

function idOf(s: Synth, construct: IConstruct): string {
  const cfn = construct.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return s.stack.getLogicalId(cfn);
}

/** The template's logical ids, by the topology's names. */
function names(s: Synth) {
  const functionOf = new Map(functionNames.map((f) => [idOf(s, s.stack.functions[f]), f]));
  const queueOf = new Map(queueNames.map((q) => [idOf(s, s.stack.queues[q]), q]));
  return { functionOf, queueOf };
}

/** The template's event source mappings, in the topology's terms. */
function mappings(s: Synth): Array<{ queue: QueueName; consumer: FunctionName; batchSize: number; max: number }> {
  const { functionOf, queueOf } = names(s);
  return Object.values(s.json.Resources as Record<string, Json>)
    .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
    .map(({ Properties: p }) => {
      const queue = queueOf.get(p.EventSourceArn['Fn::GetAtt'][0]);
      const consumer = functionOf.get(p.FunctionName.Ref);
      if (!queue || !consumer)
        throw new Error(`a mapping of something the topology does not name: ${JSON.stringify(p)}`);
      return { queue, consumer, batchSize: p.BatchSize, max: p.ScalingConfig.MaximumConcurrency };
    })
    .sort((a, b) => queueNames.indexOf(a.queue) - queueNames.indexOf(b.queue));
}

let base: Synth;
let wide: Synth;
/** The pool reserved, as the stack did before reservation was opt-in. */
let reserved: Synth;

beforeAll(() => {
  base = synth();
  wide = synth({ workers: 20, batchSize: 3 });
  reserved = synth({ workers: 20, reserveConcurrency: true });
});

describe('the stack is the topology', () => {
  it('maps each queue to its consumer, with the batch size and the maximum concurrency of its rule', () => {
    for (const s of [base, wide]) {
      expect(mappings(s)).toEqual(
        queueNames.map((queue) => ({
          queue,
          consumer: queues[queue].consumer,
          batchSize: s.batchSize,
          max: queues[queue].maxConcurrency(s.workers),
        })),
      );
    }
  });

  it('gives each function its timeout, memory and reserved concurrency, none unless reserveConcurrency', () => {
    for (const s of [base, wide, reserved]) {
      for (const name of functionNames) {
        const props = s.json.Resources[idOf(s, s.stack.functions[name])].Properties;
        expect(props.Timeout, name).toBe(functions[name].timeoutSeconds);
        expect(props.MemorySize, name).toBe(functions[name].memoryMb);
        expect(props.Description, name).toBe(functions[name].description);
        expect(props.ReservedConcurrentExecutions, name).toBe(
          s.reserve ? reservedConcurrency(name, s.workers) : undefined,
        );
      }
    }
  });

  it('keeps one sweep at a time by its lease, not by a reserved concurrency: the lease outlasts a run, the period the lease', () => {
    // Reserved or not, the sweep reserves nothing: a new account's quota may refuse even 1.
    expect(reservedConcurrency('sweep', workers.default)).toBeUndefined();
    // A run ends (Lambda stops it at its timeout) before its lease expires, and the lease before the next run.
    expect(functions.sweep.timeoutSeconds).toBeLessThan(sweepLeaseSeconds);
    expect(sweepLeaseSeconds).toBeLessThan(sweepSchedule.everySeconds);
  });

  it('hides each queue’s messages for its consumer’s timeout times the factor, and keeps them as long as the topology says', () => {
    for (const name of queueNames) {
      const queue = base.json.Resources[idOf(base, base.stack.queues[name])].Properties;
      expect(queue.VisibilityTimeout, name).toBe(visibilityTimeoutSeconds(name));
      expect(queue.MessageRetentionPeriod, name).toBe(retention.queueSeconds);
      expect(queue.RedrivePolicy.maxReceiveCount, name).toBe(retention.maxReceiveCount);
      const dlq = base.json.Resources[queue.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]].Properties;
      expect(dlq.MessageRetentionPeriod, name).toBe(retention.deadLetterSeconds);
    }
  });

  it('gives the signing functions the lease, runs the sweep on the schedule, and expires on the TTL attribute', () => {
    for (const name of ['broadcaster', 'sweep'] as const) {
      const env = base.json.Resources[idOf(base, base.stack.functions[name])].Properties.Environment.Variables;
      expect(env.SIGNING_LEASE_SECONDS, name).toBe(String(signingLease.seconds));
    }
    const [schedule] = Object.values(base.json.Resources as Record<string, Json>).filter(
      (r) => r.Type === 'AWS::Scheduler::Schedule',
    );
    const minutes = sweepSchedule.everySeconds / 60;
    expect(schedule.Properties.ScheduleExpression).toBe(`rate(${minutes} minute${minutes === 1 ? '' : 's'})`);
    expect(schedule.Properties.Target.RetryPolicy.MaximumEventAgeInSeconds).toBe(sweepSchedule.everySeconds);
    const [dynamoTable] = Object.values(base.json.Resources as Record<string, Json>).filter(
      (r) => r.Type === 'AWS::DynamoDB::Table',
    );
    expect(dynamoTable.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: table.ttlAttribute,
      Enabled: true,
    });
  });
});

/** Each function's SQS actions, by the queue (or `<queue> DLQ`) they are on, in the topology's terms. */
function sqsActions(s: Synth): Map<FunctionName, Map<string, Set<string>>> {
  const { functionOf } = names(s);
  const roleOf = new Map(
    [...functionOf].map(([id, name]) => [s.json.Resources[id].Properties.Role['Fn::GetAtt'][0], name]),
  );
  const target = new Map<string, string>();
  for (const q of queueNames) {
    target.set(idOf(s, s.stack.queues[q]), q);
    target.set(idOf(s, s.stack.deadLetterQueues[q]), `${q} DLQ`);
  }
  const held = new Map<FunctionName, Map<string, Set<string>>>();
  for (const r of Object.values(s.json.Resources as Record<string, Json>)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    for (const st of r.Properties.PolicyDocument.Statement)
      for (const role of r.Properties.Roles) {
        const fn = roleOf.get(role.Ref);
        if (!fn) continue;
        for (const resource of [st.Resource].flat()) {
          const queue = target.get(resource?.['Fn::GetAtt']?.[0]);
          if (!queue) continue;
          const byQueue = held.get(fn) ?? new Map<string, Set<string>>();
          held.set(fn, byQueue);
          const actions = byQueue.get(queue) ?? new Set<string>();
          byQueue.set(queue, actions);
          for (const a of [st.Action].flat()) actions.add(a);
        }
      }
  }
  return held;
}

describe('the stack grants the topology’s queue access', () => {
  it('tells each function every queue’s URL, and lets it send, describe or neither as queueAccess says', () => {
    const held = sqsActions(base);
    for (const [name, access] of Object.entries(queueAccess) as Array<[FunctionName, Record<QueueName, string>]>) {
      const env = base.json.Resources[idOf(base, base.stack.functions[name])].Properties.Environment.Variables;
      for (const queue of queueNames) {
        expect(env[`${queue.toUpperCase()}_QUEUE_URL`], `${name} ${queue}`).toEqual({
          Ref: idOf(base, base.stack.queues[queue]),
        });
        const actions = held.get(name)?.get(queue) ?? new Set();
        expect(actions.has('sqs:SendMessage'), `${name} sends to ${queue}`).toBe(access[queue] === 'send');
        if (access[queue] === 'describe') expect(actions.has('sqs:GetQueueAttributes'), `${name} ${queue}`).toBe(true);
        // A consumer also receives and deletes from the queues it consumes (its event source mapping).
        const consumes = queues[queue].consumer === name;
        expect(actions.has('sqs:ReceiveMessage'), `${name} receives from ${queue}`).toBe(consumes);
        if (access[queue] === 'url' && !consumes) expect([...actions], `${name} ${queue}`).toEqual([]);
      }
    }
    // Who builds no services (the authorizer) has no queue at all.
    for (const name of functionNames.filter((n) => !(n in queueAccess))) expect(held.get(name), name).toBeUndefined();
  });

  it('lets only the functions of deadLetterAccess send to a dead-letter queue, each told its URL', () => {
    const held = sqsActions(base);
    const allowed: Record<string, readonly QueueName[]> = deadLetterAccess;
    for (const name of functionNames) {
      const env = base.json.Resources[idOf(base, base.stack.functions[name])].Properties.Environment.Variables;
      const mine = allowed[name] ?? [];
      for (const queue of queueNames) {
        const actions = held.get(name)?.get(`${queue} DLQ`) ?? new Set();
        expect([...actions].sort(), `${name} on the ${queue} DLQ`).toEqual(
          mine.includes(queue) ? ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'] : [],
        );
        expect(env[`${queue.toUpperCase()}_DLQ_URL`], `${name} ${queue}`).toEqual(
          mine.includes(queue) ? { Ref: idOf(base, base.stack.deadLetterQueues[queue]) } : undefined,
        );
      }
    }
    expect(Object.keys(allowed).length).toBeGreaterThan(0);
  });
});

describe('the local runner is wired as the stack is', () => {
  it('polls the queues the stack maps, each for the same consumer, with the same batch size', () => {
    for (const s of [base, wide]) {
      const local = planPollers(runnerSettings({ WORKERS: String(s.workers), BATCH_SIZE: String(s.batchSize) }));
      expect(local.pollers.map(({ queue, consumer, batchSize }) => ({ queue, consumer, batchSize }))).toEqual(
        mappings(s).map(({ queue, consumer, batchSize }) => ({ queue, consumer, batchSize })),
      );
    }
  });

  it('differs only where the topology says so, with its local values as the runner’s defaults', () => {
    const settings = runnerSettings({});
    expect(settings.WORKERS).toBe(base.workers);
    expect(settings.BATCH_SIZE).toBe(base.batchSize);
    expect(settings.SWEEP_INTERVAL_SECONDS).toBe(sweepSchedule.local.everySeconds);
    expect(settings.VISIBILITY_TIMEOUT_SECONDS).toBe(visibility.local.seconds);
    // Locally a consumer's queues share one pool; on AWS each mapping has its own cap and the function their sum.
    const { pools } = planPollers(settings);
    expect(pools.get('broadcaster')).toBe(settings.WORKERS);
    expect(reservedConcurrency('broadcaster', settings.WORKERS)).toBe(
      mappings(base)
        .filter((m) => m.consumer === 'broadcaster')
        .reduce((n, m) => n + m.max, 0),
    );
  });
});

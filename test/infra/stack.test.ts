import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, type Stack, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import cdkNag from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApiRoutes } from '../../functions/lib/api/routeTable.ts';
import { tokenSecretSchema } from '../../functions/lib/auth/TokenSource.ts';
import { webhookSecretsSchema } from '../../functions/lib/config/loadConfig.ts';
import { webhookGaveUpMetric } from '../../functions/lib/notifier/webhookMetric.ts';
import { tableDefinition } from '../../functions/lib/store/tableDesign.ts';
import { balanceMetrics } from '../../functions/lib/sweep/balanceMetrics.ts';
import type { BroadcasterFunction } from '../../infra/stack/BroadcasterFunction.ts';
import type { BroadcasterStack } from '../../infra/stack/BroadcasterStack.ts';
import { buildApp } from '../../infra/stack/buildApp.ts';
import { StackSettingsError, stackSettings } from '../../infra/stack/stackSettings.ts';
import { type FunctionName, functionNames, sweepSchedule } from '../../infra/topology.ts';

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON
type Json = any;

type Synth = { app: App; stack: BroadcasterStack; template: Template; json: Json };

/** No settings file: every property here comes from context. */
const noSettingsDir = mkdtempSync(join(tmpdir(), 'stack-settings-'));
afterAll(() => rmSync(noSettingsDir, { recursive: true, force: true }));

/** Builds the app as `cdk synth` does (stack properties from context, cdk-nag on), without bundling: bundles.test.ts builds those. */
function synth(context: Record<string, unknown> = {}): Synth {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], chainId: '11155111', ...context } });
  const stack = buildApp(app, { settingsDir: noSettingsDir });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

function idOf(stack: Stack, construct: IConstruct): string {
  const cfn = construct.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(cfn);
}

const ofType = (json: Json, type: string): Array<[string, Json]> =>
  Object.entries(json.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** `v` with each `Fn::Join` joined and each pseudo parameter written `<partition>`, `<region>`, `<account>`. */
const pseudo = (v: Json): Json => {
  const names: Record<string, string> = {
    'AWS::Partition': '<partition>',
    'AWS::Region': '<region>',
    'AWS::AccountId': '<account>',
  };
  if (Array.isArray(v)) return v.map(pseudo);
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.Ref === 'string' && v.Ref in names) return names[v.Ref];
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'];
    return (parts as Json[]).map(pseudo).join(separator);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pseudo(x)]));
};

let base: Synth;
/** The same app with every property away from its default. */
let variant: Synth;
/** A pool of three keys the stack creates. */
let pooled: Synth;
/** reserveConcurrency=true, with the default pool and with a pool of 20. */
let reservingDefault: Synth;
let reserving: Synth;
/** A pool of two existing keys (signerKeyArns). */
let imported: Synth;
const importedArns = [
  'arn:aws:kms:us-east-1:111122223333:key/0b8e2c4a-1111-4b1e-9c3d-000000000001',
  'arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef',
];
/** The custom-resources Provider's own function (the signer addresses' framework), by its handler. */
const framework = () => {
  const found = ofType(base.json, 'AWS::Lambda::Function').filter(
    ([, f]) => f.Properties.Handler === 'framework.onEvent',
  );
  expect(found).toHaveLength(1);
  return found[0]?.[0] ?? '';
};
let fn: Record<FunctionName, { id: string; props: Json; role: string }>;

beforeAll(() => {
  base = synth();
  variant = synth({ workers: '20', retention: 'destroy', chainId: '1', apiRateLimit: '5', apiBurstLimit: '10' });
  pooled = synth({ signerKeys: '3' });
  imported = synth({ signerKeyArns: importedArns.join(',') });
  reservingDefault = synth({ reserveConcurrency: 'true' });
  // As cdk.json's context gives it: a boolean, not a string.
  reserving = synth({ reserveConcurrency: true, workers: '20' });
  const { stack, json } = base;
  const entry = (f: BroadcasterStack['functions']['api']) => {
    const id = idOf(stack, f);
    const role = f.role ? idOf(stack, f.role) : '';
    return { id, props: json.Resources[id].Properties, role };
  };
  fn = {
    api: entry(stack.functions.api),
    broadcaster: entry(stack.functions.broadcaster),
    updater: entry(stack.functions.updater),
    tracker: entry(stack.functions.tracker),
    notifier: entry(stack.functions.notifier),
    sweep: entry(stack.functions.sweep),
    authorizer: entry(stack.functions.authorizer),
  };
});

describe('functions', () => {
  it('run Node.js 22 on ARM64 from ESM bundles with source maps', () => {
    const functions = ofType(base.json, 'AWS::Lambda::Function');
    // The seven handlers, the signer address resolver, and the custom-resources Provider's own function.
    const resolver = idOf(base.stack, base.stack.signerAddressResolver);
    expect(functions.map(([id]) => id).sort()).toEqual(
      [...Object.values(fn).map((f) => f.id), resolver, framework()].sort(),
    );
    for (const [, f] of functions.filter(([id]) => id !== framework())) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toContain('--enable-source-maps');
    }
  });

  it('each environment names what the runtime needs, and never a local key or an RPC URL', () => {
    for (const name of ['api', 'broadcaster', 'updater', 'tracker', 'notifier', 'sweep'] as const) {
      const env = fn[name].props.Environment.Variables;
      expect(Object.keys(env), name).toEqual(
        expect.arrayContaining([
          'TABLE_NAME',
          'REQUESTS_QUEUE_URL',
          'RETRY_QUEUE_URL',
          'RESPONSES_QUEUE_URL',
          'TRACKING_QUEUE_URL',
          'NOTIFICATIONS_QUEUE_URL',
          'KMS_KEY_IDS',
        ]),
      );
      expect(env.KMS_KEY_IDS, name).toEqual({ 'Fn::GetAtt': [idOf(base.stack, base.stack.signingKey), 'Arn'] });
      for (const forbidden of [
        'RPC_URL',
        'KMS_KEY_ID',
        'SIGNER_PRIVATE_KEY',
        'SIGNER_PRIVATE_KEYS',
        'LOCAL_SIGNER_ALLOWED',
        'API_TOKEN',
        'ADMIN_TOKEN',
        // The webhook secret's value is in Secrets Manager; the URL policy is never relaxed on AWS.
        'WEBHOOK_SECRET',
        'WEBHOOK_ALLOW_PRIVATE',
        'WEBHOOK_ALLOW_HTTP',
      ])
        expect(env[forbidden], `${name} ${forbidden}`).toBeUndefined();
    }
    expect(fn.api.props.Environment.Variables.AUTH_MODE).toBe('authorizer');
    expect(fn.authorizer.props.Environment.Variables.TOKEN_SECRET_ARN).toEqual({
      Ref: idOf(base.stack, base.stack.tokensSecret),
    });
  });
});

describe('HTTP API', () => {
  it('has exactly the route table’s routes, behind the Lambda authorizer unless the route is open', () => {
    const routes = ofType(base.json, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const expected = httpApiRoutes;
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(expected.map((r) => `${r.method} ${r.path}`).sort());
    const authorizerId = ofType(base.json, 'AWS::ApiGatewayV2::Authorizer')[0]?.[0];
    for (const route of expected) {
      const props = routes.find((r) => r.RouteKey === `${route.method} ${route.path}`);
      if (route.access === 'none') expect(props.AuthorizationType).toBe('NONE');
      else expect(props).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    }
    expect(expected.some((r) => r.access !== 'none')).toBe(true);
    // The routes the handler adds beside its table are routed too, and open.
    for (const open of ['GET /health', 'GET /openapi.json', 'GET /admin']) {
      expect(routes.find((r) => r.RouteKey === open)?.AuthorizationType).toBe('NONE');
    }
  });

  it('the authorizer answers simply from the Authorization header, cached per token', () => {
    base.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
    });
    const [, authorizer] = ofType(base.json, 'AWS::ApiGatewayV2::Authorizer')[0] ?? [];
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(fn.authorizer.id);
  });

  it('throttles and logs on the stage', () => {
    base.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, Format: Match.anyValue() },
    });
    variant.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });
});

describe('queues', () => {
  const queues = () => ofType(base.json, 'AWS::SQS::Queue');
  const deadLetterIds = () =>
    new Set(
      queues().flatMap(([, q]) =>
        q.Properties.RedrivePolicy ? [q.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]] : [],
      ),
    );

  it('requests, retry, responses, tracking and notifications each have their own DLQ, reached after at least 5 receives', () => {
    const main = queues().filter(([, q]) => q.Properties.RedrivePolicy);
    expect(main.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'Notifications',
      'Requests',
      'Responses',
      'Retry',
      'Tracking',
    ]);
    expect(deadLetterIds().size).toBe(5);
    for (const [, q] of main) expect(q.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
  });

  it('are encrypted at rest and refuse anything but TLS', () => {
    const policies = ofType(base.json, 'AWS::SQS::QueuePolicy').map(([, p]) => p.Properties);
    for (const [id, q] of queues()) {
      expect(q.Properties.SqsManagedSseEnabled ?? q.Properties.KmsMasterKeyId, id).toBeTruthy();
      const policy = policies.find((p) => p.Queues.some((r: Json) => r.Ref === id));
      expect(policy?.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('each consumed queue hides a message for at least 6 times its consumer’s timeout', () => {
    const mappings = ofType(base.json, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    expect(mappings).toHaveLength(5);
    for (const m of mappings) {
      const queueId = m.EventSourceArn['Fn::GetAtt'][0];
      const consumer = base.json.Resources[m.FunctionName.Ref].Properties;
      expect(base.json.Resources[queueId].Properties.VisibilityTimeout, queueId).toBeGreaterThanOrEqual(
        6 * consumer.Timeout,
      );
      expect(deadLetterIds().has(queueId)).toBe(false);
    }
  });
});

describe('worker pool', () => {
  const mappingsOf = (json: Json, functionId: string) =>
    ofType(json, 'AWS::Lambda::EventSourceMapping')
      .map(([, m]) => m.Properties)
      .filter((m) => m.FunctionName.Ref === functionId);

  it('maps the queues with maxConcurrency and partial batch responses', () => {
    const queueName = (m: Json) => String(m.EventSourceArn['Fn::GetAtt'][0]).replace(/[0-9A-F]{8}$/, '');
    const broadcaster = mappingsOf(base.json, fn.broadcaster.id);
    expect(broadcaster.map(queueName).sort()).toEqual(['Requests', 'Retry']);
    expect(broadcaster.find((m) => queueName(m) === 'Requests').ScalingConfig.MaximumConcurrency).toBe(8);
    expect(mappingsOf(base.json, fn.updater.id).map(queueName)).toEqual(['Responses']);
    expect(mappingsOf(base.json, fn.notifier.id).map(queueName)).toEqual(['Notifications']);
    for (const [, m] of ofType(base.json, 'AWS::Lambda::EventSourceMapping')) {
      expect(m.Properties).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
      expect(m.Properties.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
    }
  });

  it('reserves no concurrency by default: the mappings’ maxConcurrency bounds the pool, and a new account’s quota of 10 suffices', () => {
    for (const s of [base, variant, pooled, imported]) {
      const reserving = ofType(s.json, 'AWS::Lambda::Function').filter(
        ([, f]) => f.Properties.ReservedConcurrentExecutions !== undefined,
      );
      expect(reserving.map(([id]) => id)).toEqual([]);
    }
    // The sweep too: its lease in the table keeps one run at a time, not a reservation of 1.
    expect(fn.sweep.props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('reserveConcurrency=true reserves no less than the sum of each function’s mappings, whatever the pool size', () => {
    const wide = reserving;
    for (const s of [reservingDefault, wide]) {
      for (const [id, f] of ofType(s.json, 'AWS::Lambda::Function')) {
        const sum = mappingsOf(s.json, id).reduce((n, m) => n + m.ScalingConfig.MaximumConcurrency, 0);
        if (sum > 0) expect(f.Properties.ReservedConcurrentExecutions, id).toBeGreaterThanOrEqual(sum);
      }
    }
    const wideBroadcaster = mappingsOf(wide.json, idOf(wide.stack, wide.stack.functions.broadcaster));
    expect(wideBroadcaster.map((m) => m.ScalingConfig.MaximumConcurrency).sort()).toEqual([20, 5]);
    const reservedOf = (s: Synth, name: FunctionName) =>
      s.json.Resources[idOf(s.stack, s.stack.functions[name])].Properties.ReservedConcurrentExecutions;
    expect(reservedOf(wide, 'broadcaster')).toBe(25);
    // Only the queue consumers: the api, the authorizer and the sweep reserve nothing even then.
    for (const name of ['api', 'authorizer', 'sweep'] as const) expect(reservedOf(wide, name), name).toBeUndefined();
  });
});

describe('table', () => {
  it('mirrors the table design the code uses: key, attributes and indexes', () => {
    const [[, table] = ['', {}]] = ofType(base.json, 'AWS::DynamoDB::Table');
    const design = tableDefinition('x');
    const nameOf = (x: Json) => String(x.AttributeName ?? x.IndexName);
    const sortByName = (a: Json[]) => [...a].sort((x, y) => nameOf(x).localeCompare(nameOf(y)));
    expect(table.Properties.KeySchema).toEqual(design.KeySchema);
    expect(sortByName(table.Properties.AttributeDefinitions)).toEqual(sortByName(design.AttributeDefinitions ?? []));
    expect(sortByName(table.Properties.GlobalSecondaryIndexes)).toEqual(
      sortByName(design.GlobalSecondaryIndexes ?? []),
    );
  });

  it('is on-demand, with point-in-time recovery and TTL on idempotency records, and kept by default', () => {
    base.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // A protected table is one CloudFormation cannot delete, not even when its own create rolled back.
        DeletionProtectionEnabled: false,
      },
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('follows the retention property: destroy for a throwaway stack', () => {
    const throwaway = variant;
    throwaway.template.hasResource('AWS::DynamoDB::Table', {
      Properties: { DeletionProtectionEnabled: false },
      DeletionPolicy: 'Delete',
    });
    // The signing key is never deleted with the stack: the funds at its address would go with it.
    throwaway.template.hasResource('AWS::KMS::Key', {
      Properties: { KeySpec: 'ECC_SECG_P256K1' },
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('removal policies', () => {
  /** What holds state or funds, by kind: the table, the secrets, the signer keys the stack creates, the log groups. */
  const stateful = (s: Synth) => ({
    table: ofType(s.json, 'AWS::DynamoDB::Table'),
    secrets: ofType(s.json, 'AWS::SecretsManager::Secret'),
    'signer keys': ofType(s.json, 'AWS::KMS::Key').filter(([, k]) => k.Properties.KeySpec === 'ECC_SECG_P256K1'),
    'log groups': ofType(s.json, 'AWS::Logs::LogGroup'),
  });
  const policies = (resources: Array<[string, Json]>) =>
    resources.map(([id, r]) => ({ id, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy }));

  it('retention=retain keeps the table, the secrets, the signer keys and the log groups, except after a create that rolled back', () => {
    for (const s of [base, pooled]) {
      const kinds = stateful(s);
      expect(kinds.table, 'table').toHaveLength(1);
      expect(kinds.secrets, 'secrets').toHaveLength(3);
      expect(kinds['signer keys'], 'signer keys').toHaveLength(s.stack.signingKeys.length);
      // The seven functions', the signer address resolver's and its provider's, and the API's access log.
      expect(kinds['log groups'], 'log groups').toHaveLength(10);
      for (const [kind, resources] of Object.entries(kinds))
        for (const p of policies(resources))
          expect(p, kind).toEqual({ id: p.id, deletion: 'RetainExceptOnCreate', replace: 'Retain' });
    }
  });

  it('retention=destroy deletes the table, the secrets and the log groups; the signer keys are kept even then', () => {
    const { 'signer keys': keys, ...rest } = stateful(variant);
    expect(keys).toHaveLength(1);
    for (const [kind, resources] of Object.entries(rest)) {
      expect(resources.length, kind).toBeGreaterThan(0);
      for (const p of policies(resources)) expect(p, kind).toEqual({ id: p.id, deletion: 'Delete', replace: 'Delete' });
    }
    for (const p of policies(keys))
      expect(p).toEqual({ id: p.id, deletion: 'RetainExceptOnCreate', replace: 'Retain' });
  });

  it('nothing is plain Retain, which CloudFormation keeps, orphaned, even when the create of it rolled back', () => {
    for (const s of [base, variant, pooled, imported])
      for (const [id, r] of Object.entries(s.json.Resources as Record<string, Json>)) {
        expect(r.DeletionPolicy, id).not.toBe('Retain');
        expect(r.DeletionPolicy, id).not.toBe('Snapshot');
      }
  });
});

describe('signer pool and least privilege', () => {
  /** The secp256k1 keys a synth creates, in the order of `stack.signingKeys`. */
  const signerKeys = (s: Synth) => ofType(s.json, 'AWS::KMS::Key').filter(([, k]) => k.Properties.KeySpec);
  const keyArns = (s: Synth): Json[] =>
    s.stack.signingKeys.map((k) =>
      Token.isUnresolved(k.keyArn) ? { 'Fn::GetAtt': [idOf(s.stack, k), 'Arn'] } : k.keyArn,
    );
  const roleOf = (s: Synth, f: BroadcasterFunction) => (f.role ? idOf(s.stack, f.role) : '');
  /** Each role's KMS permissions on the signing keys, as `<action> <resource>` lines. */
  const kmsGrants = (s: Synth): Map<string, string[]> => {
    const held = new Map<string, string[]>();
    for (const [, policy] of ofType(s.json, 'AWS::IAM::Policy'))
      for (const st of policy.Properties.PolicyDocument.Statement) {
        const kms = (asArray(st.Action) as string[]).filter((a) => a.startsWith('kms:'));
        if (kms.length === 0 || st.Effect !== 'Allow') continue;
        for (const role of policy.Properties.Roles)
          for (const action of kms)
            for (const resource of asArray(st.Resource))
              held.set(role.Ref, [...(held.get(role.Ref) ?? []), `${action} ${JSON.stringify(resource)}`]);
      }
    return held;
  };
  const grantsOn = (s: Synth, actions: string[]) =>
    keyArns(s)
      .flatMap((arn) => actions.map((a) => `${a} ${JSON.stringify(arn)}`))
      .sort();

  it('is one secp256k1 signing key by default, never deleted with the stack', () => {
    const keys = signerKeys(base);
    expect(keys).toHaveLength(1);
    const [[id, key] = ['', {}]] = keys;
    expect(id).toBe(idOf(base.stack, base.stack.signingKey));
    expect(key.Properties).toMatchObject({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' });
    expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  it('signerKeys=3 creates three, each kept; the first keeps its logical id, so a deployed stack keeps its key and funds', () => {
    const keys = signerKeys(pooled);
    expect(keys).toHaveLength(3);
    for (const [id, key] of keys) {
      expect(key.Properties, id).toMatchObject({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' });
      expect(key.DeletionPolicy, id).toBe('RetainExceptOnCreate');
      expect(key.UpdateReplacePolicy, id).toBe('Retain');
    }
    // The logical id the single key has had since the first release: CloudFormation would replace a key under a new one.
    expect(idOf(pooled.stack, pooled.stack.signingKey)).toBe('SignerKey4A557171');
    expect(idOf(base.stack, base.stack.signingKey)).toBe('SignerKey4A557171');
    expect(pooled.stack.signingKeys.map((k) => k.node.id)).toEqual(['SignerKey', 'SignerKey2', 'SignerKey3']);
    expect(keys.map(([id]) => id)).toEqual(pooled.stack.signingKeys.map((k) => idOf(pooled.stack, k)));
  });

  it('each key’s policy lets the broadcaster alone sign, denies everyone else, and lets administrators neither sign nor grant', () => {
    for (const s of [base, pooled]) {
      const signerArns = [{ 'Fn::GetAtt': [roleOf(s, s.stack.functions.broadcaster), 'Arn'] }];
      for (const [id, key] of signerKeys(s)) {
        const statements = key.Properties.KeyPolicy.Statement as Json[];
        const allowsSign = statements.filter(
          (st) => st.Effect === 'Allow' && asArray(st.Action).some((a: string) => a === 'kms:Sign' || a === 'kms:*'),
        );
        expect(allowsSign, id).toHaveLength(1);
        expect(allowsSign[0].Condition, id).toEqual({ ArnEquals: { 'aws:PrincipalArn': signerArns } });
        const deny = statements.find((st) => st.Effect === 'Deny');
        expect(deny, id).toMatchObject({ Sid: 'NobodyElseSigns', Action: 'kms:Sign', Principal: { AWS: '*' } });
        expect(deny.Condition, id).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': signerArns } });
        const admin = statements.find((st) => st.Sid === 'AccountAdministersButDoesNotSign');
        for (const action of asArray(admin.Action))
          expect(action, id).not.toMatch(/^kms:(\*|Sign|Create\*|CreateGrant)$/);
      }
    }
  });

  it('the broadcaster may Sign on every key of the pool; the api, sweep and tracker only read public keys; the updater nothing', () => {
    for (const s of [base, pooled, imported]) {
      const { functions: f, signerAddressResolver } = s.stack;
      const held = kmsGrants(s);
      const expected = new Map([
        [roleOf(s, f.broadcaster), grantsOn(s, ['kms:Sign', 'kms:GetPublicKey'])],
        [roleOf(s, f.api), grantsOn(s, ['kms:GetPublicKey'])],
        [roleOf(s, f.sweep), grantsOn(s, ['kms:GetPublicKey'])],
        [roleOf(s, f.tracker), grantsOn(s, ['kms:GetPublicKey'])],
        // The deploy-time resolver behind the SignerAddress outputs.
        [roleOf(s, signerAddressResolver), grantsOn(s, ['kms:GetPublicKey'])],
      ]);
      expect(new Map([...held].map(([role, grants]) => [role, [...grants].sort()]))).toEqual(expected);
      expect(held.has(roleOf(s, f.updater))).toBe(false);
      expect(held.has(roleOf(s, f.notifier))).toBe(false);
      expect(held.has(roleOf(s, f.authorizer))).toBe(false);
      // The resolver writes its logs and reads public keys: nothing else.
      const resolverActions = ofType(s.json, 'AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleOf(s, signerAddressResolver)))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((st: Json) => asArray(st.Action)));
      expect(new Set(resolverActions)).toEqual(
        new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'kms:GetPublicKey']),
      );
    }
  });

  it('gives each function every key of the pool in KMS_KEY_IDS, in order', () => {
    const names = ['api', 'broadcaster', 'updater', 'tracker', 'notifier', 'sweep'] as const;
    for (const s of [pooled, imported]) {
      const arns = keyArns(s);
      const joined = arns.every((a) => typeof a === 'string') ? arns.join(',') : { 'Fn::Join': [',', arns] };
      for (const name of names) {
        const env = s.json.Resources[idOf(s.stack, s.stack.functions[name])].Properties.Environment.Variables;
        expect(env.KMS_KEY_IDS, name).toEqual(joined);
        expect(env.KMS_KEY_ID, name).toBeUndefined();
      }
    }
    expect(keyArns(pooled)).toHaveLength(3);
    expect(imported.json.Resources[fn.authorizer.id].Properties.Environment.Variables.KMS_KEY_IDS).toBeUndefined();
  });

  it('signerKeyArns uses those keys, creating none: the grants are the roles’ own, on exactly those ARNs', () => {
    expect(signerKeys(imported)).toEqual([]);
    expect(imported.stack.signingKeys.map((k) => k.keyArn)).toEqual(importedArns);
    expect(imported.stack.signingKeys[0]?.node.id).toBe('SignerKey');
    const env =
      imported.json.Resources[idOf(imported.stack, imported.stack.functions.broadcaster)].Properties.Environment
        .Variables;
    expect(env.KMS_KEY_IDS).toBe(importedArns.join(','));
  });

  it('outputs each key’s ARN and its address, derived at deploy time from the key by the resolver', () => {
    for (const s of [base, pooled, imported]) {
      const outputs = s.json.Outputs as Record<string, Json>;
      const arns = keyArns(s);
      const resolver = idOf(s.stack, s.stack.signerAddressResolver);
      const addressResources = ofType(s.json, 'Custom::SignerAddress');
      expect(addressResources).toHaveLength(arns.length);
      arns.forEach((arn, i) => {
        const n = i === 0 ? '' : String(i + 1);
        expect(outputs[`SignerKey${n}Arn`]?.Value, `SignerKey${n}Arn`).toEqual(arn);
        const address = outputs[`SignerAddress${n}`]?.Value;
        expect(address?.['Fn::GetAtt'], `SignerAddress${n}`).toHaveLength(2);
        const [resourceId, attribute] = address['Fn::GetAtt'];
        expect(attribute).toBe('Address');
        const resource = s.json.Resources[resourceId];
        expect(resource.Type).toBe('Custom::SignerAddress');
        expect(resource.Properties.KeyId).toEqual(arn);
        // Through the Provider framework's function, which may invoke the resolver and nothing else.
        const frameworkId = resource.Properties.ServiceToken['Fn::GetAtt'][0];
        expect(s.json.Resources[frameworkId].Properties.Handler).toBe('framework.onEvent');
      });
      expect(Object.keys(outputs).filter((o) => /^Signer(Key\d*Arn|Address\d*)$/.test(o))).toHaveLength(
        2 * arns.length,
      );
      const [frameworkId] = new Set(addressResources.map(([, r]) => r.Properties.ServiceToken['Fn::GetAtt'][0]));
      const frameworkRole = s.json.Resources[frameworkId].Properties.Role['Fn::GetAtt'][0];
      const frameworkActions = ofType(s.json, 'AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === frameworkRole))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .flatMap((st: Json) => asArray(st.Action).map((a) => `${a} ${JSON.stringify(st.Resource)}`));
      for (const line of frameworkActions.filter((l: string) => l.startsWith('lambda:')))
        expect(line).toContain(`"${resolver}"`);
      expect(frameworkActions.filter((l: string) => !/^(lambda:(InvokeFunction|GetFunction)|logs:)/.test(l))).toEqual(
        [],
      );
      expect(outputs.BroadcasterRoleArn?.Value).toEqual({
        'Fn::GetAtt': [roleOf(s, s.stack.functions.broadcaster), 'Arn'],
      });
    }
  });

  it('grants each function only what it uses', () => {
    const actionsOf = (role: string) =>
      ofType(base.json, 'AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((s: Json) => asArray(s.Action)));
    expect(actionsOf(fn.api.role)).not.toContain('sqs:ReceiveMessage');
    expect(actionsOf(fn.updater.role)).not.toContain('secretsmanager:GetSecretValue');
    // The updater sends only to the tracking queue (it starts each transaction's tracking) and hands each
    // change on to the notifier; the tracker signs nothing.
    expect(new Set(sendTargets(fn.updater.role))).toEqual(new Set(['Tracking', 'Notifications']));
    // It asks the broadcaster (requests) to re-price or cancel; it never signs.
    expect(new Set(sendTargets(fn.tracker.role))).toEqual(new Set(['Requests', 'Responses', 'Tracking']));
    // The notifier talks to no chain and signs nothing: its queue, its DLQ, the table, the webhook secret.
    expect(actionsOf(fn.notifier.role).filter((a: string) => a.startsWith('kms:'))).toEqual([]);
    expect(actionsOf(fn.tracker.role)).not.toContain('kms:Sign');
    expect(new Set(actionsOf(fn.authorizer.role))).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
      ]),
    );
    for (const [, policy] of ofType(base.json, 'AWS::IAM::Policy'))
      for (const s of policy.Properties.PolicyDocument.Statement) expect(asArray(s.Action)).not.toContain('*');
  });
});

/** The queues (by construct id, hash dropped) role `role` may send to. */
function sendTargets(role: string): string[] {
  return ofType(base.json, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    .filter((st: Json) => asArray(st.Action).includes('sqs:SendMessage'))
    .map((st: Json) => st.Resource['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, ''));
}

describe('chains configuration', () => {
  it('keeps RPC URLs in Secrets Manager, read only by the functions that talk to a chain', () => {
    const chains = idOf(base.stack, base.stack.chainsSecret);
    for (const name of ['api', 'broadcaster', 'sweep'] as const)
      expect(fn[name].props.Environment.Variables.CHAINS_SECRET_ARN, name).toEqual({ Ref: chains });
    for (const name of ['updater', 'notifier', 'authorizer'] as const)
      expect(fn[name].props.Environment.Variables.CHAINS_SECRET_ARN, name).toBeUndefined();
    // The template never carries a value: the operator puts the URLs, and no later deploy writes over them.
    for (const secret of [
      chains,
      idOf(base.stack, base.stack.tokensSecret),
      idOf(base.stack, base.stack.webhookSecret),
    ]) {
      expect(base.json.Resources[secret].Properties.SecretString, secret).toBeUndefined();
      expect(base.json.Resources[secret].Properties.GenerateSecretString, secret).toBeDefined();
    }
    expect(JSON.stringify(base.json.Resources)).not.toMatch(/https?:\/\//);
    expect(fn.api.props.Environment.Variables.CHAIN_ID).toBe('11155111');
    const variantApi = variant.json.Resources[idOf(variant.stack, variant.stack.functions.api)];
    expect(variantApi.Properties.Environment.Variables.CHAIN_ID).toBe('1');
  });
});

describe('tokens secret', () => {
  it('starts with a generated hash key and no token, in the shape the authorizer reads', () => {
    const generated = base.json.Resources[idOf(base.stack, base.stack.tokensSecret)].Properties.GenerateSecretString;
    expect(generated).toMatchObject({ GenerateStringKey: 'hashKey', PasswordLength: 48, ExcludePunctuation: true });
    const initial = { ...JSON.parse(generated.SecretStringTemplate), hashKey: 'x'.repeat(48) };
    expect(tokenSecretSchema.parse(initial)).toEqual({ hashKey: 'x'.repeat(48), tokens: [] });
  });
});

describe('webhooks', () => {
  const env = (name: FunctionName, s: Synth = base) =>
    s.json.Resources[idOf(s.stack, s.stack.functions[name])].Properties.Environment.Variables;
  /** The roles holding `action` on the resource `resource` (a template reference), by function name. */
  const holders = (action: string, resource: Json): FunctionName[] => {
    const roles = new Set(
      ofType(base.json, 'AWS::IAM::Policy').flatMap(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Json[])
          .filter(
            (st) =>
              st.Effect === 'Allow' &&
              asArray(st.Action).includes(action) &&
              asArray(st.Resource).some((r) => JSON.stringify(r) === JSON.stringify(resource)),
          )
          .flatMap(() => p.Properties.Roles.map((r: Json) => r.Ref as string)),
      ),
    );
    return functionNames.filter((name) => roles.has(fn[name].role));
  };
  const notificationsDlq = () => ({
    'Fn::GetAtt': [idOf(base.stack, base.stack.deadLetterQueues.notifications), 'Arn'],
  });

  it('the notifier consumes the notifications queue with partial batch responses, a pool of `workers`, and a DLQ', () => {
    const [mapping, ...others] = ofType(base.json, 'AWS::Lambda::EventSourceMapping')
      .map(([, m]) => m.Properties)
      .filter((m) => m.FunctionName.Ref === fn.notifier.id);
    expect(others).toEqual([]);
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [idOf(base.stack, base.stack.queues.notifications), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 8 },
    });
    const queue = base.json.Resources[idOf(base.stack, base.stack.queues.notifications)].Properties;
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual(notificationsDlq());
    // The mapping bounds the notifier's pool; it reserves it only with reserveConcurrency.
    expect(fn.notifier.props).toMatchObject({ Timeout: 30, MemorySize: 256 });
    expect(fn.notifier.props.ReservedConcurrentExecutions).toBeUndefined();
    const reservedNotifier =
      reservingDefault.json.Resources[idOf(reservingDefault.stack, reservingDefault.stack.functions.notifier)];
    expect(reservedNotifier.Properties.ReservedConcurrentExecutions).toBe(8);
  });

  it('the notifier alone is told the notifications DLQ and may send to it; nobody else sends to any DLQ', () => {
    const notificationsDlqId = idOf(base.stack, base.stack.deadLetterQueues.notifications);
    expect(env('notifier').NOTIFICATIONS_DLQ_URL).toEqual({ Ref: notificationsDlqId });
    for (const name of functionNames.filter((n) => n !== 'notifier'))
      expect(
        Object.keys(env(name)).filter((k) => k.endsWith('_DLQ_URL')),
        name,
      ).toEqual([]);
    expect(holders('sqs:SendMessage', notificationsDlq())).toEqual(['notifier']);
    for (const [queue, dlq] of Object.entries(base.stack.deadLetterQueues)) {
      if (queue === 'notifications') continue;
      expect(holders('sqs:SendMessage', { 'Fn::GetAtt': [idOf(base.stack, dlq), 'Arn'] }), queue).toEqual([]);
    }
    // Its own queue (a retry, delayed) and that queue's DLQ (after the last attempt): nothing else.
    expect(sendTargets(fn.notifier.role).sort()).toEqual(['Notifications', 'NotificationsDlq']);
    expect(env('notifier').NOTIFICATIONS_QUEUE_URL).toEqual({ Ref: idOf(base.stack, base.stack.queues.notifications) });
  });

  it('the signing secret is generated, never a whsec_ nobody chose, and kept with the stack unless destroy', () => {
    const id = idOf(base.stack, base.stack.webhookSecret);
    const secret = base.json.Resources[id];
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 32, ExcludePunctuation: true });
    // Letters and digits only, so never `whsec_...`: the notifier refuses to sign until the operator puts one.
    expect(webhookSecretsSchema.safeParse('A1'.repeat(16)).success).toBe(false);
    expect(secret.DeletionPolicy).toBe('RetainExceptOnCreate');
    const throwaway = variant.json.Resources[idOf(variant.stack, variant.stack.webhookSecret)];
    expect(throwaway.DeletionPolicy).toBe('Delete');
    expect(base.json.Outputs.WebhookSecretArn.Value).toEqual({ Ref: id });
  });

  it('the api and the notifier may read the signing secret; the updater and the sweep know only its ARN', () => {
    const secret = { Ref: idOf(base.stack, base.stack.webhookSecret) };
    expect(holders('secretsmanager:GetSecretValue', secret)).toEqual(['api', 'notifier']);
    const told = functionNames.filter((name) => env(name).WEBHOOK_SECRET_ARN !== undefined);
    expect(told).toEqual(['api', 'updater', 'notifier', 'sweep']);
    for (const name of told) expect(env(name).WEBHOOK_SECRET_ARN, name).toEqual(secret);
  });

  it('callbackUrls reaches the api alone, operatorWebhookUrl the sweep and the notifier alone', () => {
    const set = synth({
      callbackUrls: 'team-a=https://a.example/hooks, team-b=https://b.example/hooks',
      operatorWebhookUrl: 'https://ops.example/hooks/broadcaster',
    });
    const given = (variable: string) => functionNames.filter((name) => env(name, set)[variable] !== undefined);
    expect(given('CALLBACK_URLS')).toEqual(['api']);
    expect(env('api', set).CALLBACK_URLS).toBe('team-a=https://a.example/hooks, team-b=https://b.example/hooks');
    expect(given('OPERATOR_WEBHOOK_URL')).toEqual(['notifier', 'sweep']);
    expect(env('sweep', set).OPERATOR_WEBHOOK_URL).toBe('https://ops.example/hooks/broadcaster');
    // Unset: nobody gets the variable.
    for (const variable of ['CALLBACK_URLS', 'OPERATOR_WEBHOOK_URL'])
      expect(
        functionNames.filter((name) => env(name)[variable] !== undefined),
        variable,
      ).toEqual([]);
  });

  it('maxWait reaches the api alone, as MAX_WAIT_MS in milliseconds; below the default wait it lowers that too', () => {
    const given = (s: Synth, variable: string) => functionNames.filter((name) => env(name, s)[variable] !== undefined);
    // Unset: its default, 25 s, the most API Gateway allows.
    expect(given(base, 'MAX_WAIT_MS')).toEqual(['api']);
    expect(env('api').MAX_WAIT_MS).toBe('25000');
    expect(env('api').BROADCAST_WAIT_MS).toBeUndefined();
    const shorter = synth({ maxWait: '12' });
    expect(given(shorter, 'MAX_WAIT_MS')).toEqual(['api']);
    expect(env('api', shorter).MAX_WAIT_MS).toBe('12000');
    expect(env('api', shorter).BROADCAST_WAIT_MS).toBeUndefined();
    // The api's default wait (5 s) may not exceed the longest: the functions would refuse it at cold start.
    const brief = synth({ maxWait: '2' });
    expect(env('api', brief)).toMatchObject({ MAX_WAIT_MS: '2000', BROADCAST_WAIT_MS: '2000' });
    expect(given(brief, 'BROADCAST_WAIT_MS')).toEqual(['api']);
    expect(env('api', synth({ maxWait: '0' }))).toMatchObject({ MAX_WAIT_MS: '0', BROADCAST_WAIT_MS: '0' });
    for (const bad of ['26', '-1', '2.5', 'long'])
      expect(() => synth({ maxWait: bad }), bad).toThrowError(/-c maxWait=\.\.\.: /);
  });

  it('refuses a callback or operator URL the notifier could not deliver to, naming the context key', () => {
    const refusals: Array<[Record<string, string>, RegExp]> = [
      [{ operatorWebhookUrl: 'not a url' }, /-c operatorWebhookUrl=\.\.\.: must be an https URL/],
      // WEBHOOK_ALLOW_HTTP is never set on AWS.
      [{ operatorWebhookUrl: 'http://ops.example/hooks' }, /-c operatorWebhookUrl=\.\.\.: must be an https URL/],
      [{ callbackUrls: 'team-a' }, /-c callbackUrls=\.\.\.: pair 1 must be <client>=<url>/],
      [{ callbackUrls: 'team-a=https://a.example,=https://b.example' }, /-c callbackUrls=\.\.\.: pair 2 must be/],
      [
        { callbackUrls: 'team-a=https://a.example,team-a=https://b.example' },
        /-c callbackUrls=\.\.\.: pair 2: team-a is given twice/,
      ],
      [
        { callbackUrls: 'team-a=https://a.example,team-b=http://b.example' },
        /-c callbackUrls=\.\.\.: team-b's URL must be https/,
      ],
    ];
    for (const [context, message] of refusals) {
      expect(() => synth(context), JSON.stringify(context)).toThrowError(StackSettingsError);
      expect(() => synth(context), JSON.stringify(context)).toThrowError(message);
    }
  });
});

describe('schedule and alarms', () => {
  it('EventBridge Scheduler runs the sweep every minute', () => {
    base.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': [fn.sweep.id, 'Arn'] } },
    });
  });

  it('alarm on every DLQ, on the oldest request, and on each function’s errors and throttles, to one encrypted topic', () => {
    const [[topicId, topic] = ['', {}]] = ofType(base.json, 'AWS::SNS::Topic');
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const alarms = ofType(base.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
    const on = (metric: string, dimension: string, target: string) =>
      alarms.filter(
        (a) =>
          a.MetricName === metric &&
          a.Dimensions.some((d: Json) => d.Name === dimension && JSON.stringify(d.Value).includes(`"${target}"`)),
      );
    for (const dlq of new Set(
      ofType(base.json, 'AWS::SQS::Queue').flatMap(([, q]) =>
        q.Properties.RedrivePolicy ? [q.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string] : [],
      ),
    )) {
      expect(on('ApproximateNumberOfMessagesVisible', 'QueueName', dlq), dlq).toMatchObject([{ Threshold: 1 }]);
    }
    const requests = idOf(base.stack, base.stack.queues.requests);
    expect(on('ApproximateAgeOfOldestMessage', 'QueueName', requests)).toMatchObject([{ Threshold: 300 }]);
    for (const { id } of Object.values(fn)) {
      expect(on('Errors', 'FunctionName', id), id).toHaveLength(1);
      expect(on('Throttles', 'FunctionName', id), id).toHaveLength(1);
    }
    // The tracker's metric for a transaction waiting at the fee cap, whatever its chain.
    expect(on('StuckAtFeeCap', 'service', 'tracker')).toMatchObject([
      { Namespace: 'TransactionBroadcaster', Threshold: 1, Statistic: 'Sum' },
    ]);
    const notificationsDlq = idOf(base.stack, base.stack.deadLetterQueues.notifications);
    expect(on('ApproximateNumberOfMessagesVisible', 'QueueName', notificationsDlq)).toMatchObject([
      { Threshold: 1, Statistic: 'Maximum', AlarmDescription: expect.stringMatching(/^Webhook events/) },
    ]);
  });

  it('alarm when the notifier gives up on a webhook, and when a signer is below LOW_BALANCE_WEI, on the metrics the functions emit', () => {
    const alarms = ofType(base.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const [[topicId] = ['']] = ofType(base.json, 'AWS::SNS::Topic');
    const onMetric = (namespace: string, name: string) =>
      alarms.filter((a) => a.Namespace === namespace && a.MetricName === name);
    const common = {
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    };
    // Powertools Metrics gives each metric its `service` dimension; an alarm matches the exact dimension set.
    expect(onMetric(webhookGaveUpMetric.namespace, webhookGaveUpMetric.name)).toEqual([
      expect.objectContaining({
        ...common,
        Dimensions: [{ Name: 'service', Value: webhookGaveUpMetric.service }],
        Period: 300,
        Statistic: 'Sum',
      }),
    ]);
    expect(onMetric(balanceMetrics.namespace, balanceMetrics.low)).toEqual([
      expect.objectContaining({
        ...common,
        Dimensions: [{ Name: 'service', Value: balanceMetrics.service }],
        // The most signers a run counted below the threshold, over one run of the sweep.
        Period: sweepSchedule.everySeconds,
        Statistic: 'Maximum',
        AlarmDescription: expect.stringContaining('below LOW_BALANCE_WEI'),
      }),
    ]);
  });

  it('the alarm topic’s policy refuses anything but TLS and lets CloudWatch publish, for this account’s alarms alone', () => {
    const [[topicId] = ['']] = ofType(base.json, 'AWS::SNS::Topic');
    const policies = ofType(base.json, 'AWS::SNS::TopicPolicy')
      .map(([, p]) => p.Properties)
      .filter((p) => p.Topics.some((t: Json) => t.Ref === topicId));
    // One policy: a second would replace the first (a topic has one policy), Allow or Deny lost.
    expect(policies).toHaveLength(1);
    const statements = policies[0].PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: { Ref: topicId },
      }),
    );
    // Without it the policy holds only the Deny, and SNS refuses every alarm action: no mail ever comes.
    const allows = statements.filter((st) => st.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
      }),
    ]);
    expect(pseudo(allows[0].Condition)).toEqual({
      ArnLike: { 'aws:SourceArn': 'arn:<partition>:cloudwatch:<region>:<account>:alarm:*' },
      StringEquals: { 'aws:SourceAccount': '<account>' },
    });
  });

  it('the alarm topic’s key lets CloudWatch publish (the AWS-managed SNS key would not)', () => {
    const [[, topic] = ['', {}]] = ofType(base.json, 'AWS::SNS::Topic');
    const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(base.json.Resources[keyId].Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
  });

  it('prints where to find the API, the key (for the signer address) and the secrets', () => {
    expect(Object.keys(base.json.Outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'SignerKeyArn',
        'SignerAddress',
        'BroadcasterRoleArn',
        'ChainsSecretArn',
        'TokensSecretArn',
        'WebhookSecretArn',
        'AlarmTopicArn',
      ]),
    );
  });
});

describe('template', () => {
  it('has no dependency cycle (CloudFormation would refuse to deploy it)', () => {
    const resources = base.json.Resources as Record<string, Json>;
    const dependsOn = (value: Json, found: Set<string>): Set<string> => {
      if (Array.isArray(value)) for (const v of value) dependsOn(v, found);
      else if (value && typeof value === 'object') {
        if (typeof value.Ref === 'string' && value.Ref in resources) found.add(value.Ref);
        const att = value['Fn::GetAtt'];
        if (Array.isArray(att) && att[0] in resources) found.add(att[0]);
        const sub = value['Fn::Sub'];
        for (const m of String(Array.isArray(sub) ? sub[0] : (sub ?? '')).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g))
          if (m[1] && m[1] in resources) found.add(m[1]);
        for (const v of Object.values(value)) dependsOn(v, found);
      }
      return found;
    };
    const edges = new Map(
      Object.entries(resources).map(([id, r]) => [
        id,
        dependsOn([r.Properties, asArray(r.DependsOn ?? []).map((d: string) => ({ Ref: d }))], new Set()),
      ]),
    );
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, path: string[]) => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') throw new Error(`cycle: ${[...path, id].join(' -> ')}`);
      state.set(id, 'visiting');
      for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
      state.set(id, 'done');
    };
    for (const id of edges.keys()) visit(id, []);
    // the signing key depends on the signer roles (its policy names them), their policies on the key
    expect(edges.get(idOf(base.stack, base.stack.signingKey))).toContain(fn.broadcaster.role);
  });
});

describe('stack properties', () => {
  it('refuses a bad one, naming the context key', () => {
    expect(() => synth({ workers: '1' })).toThrowError(StackSettingsError);
    expect(() => synth({ workers: '1' })).toThrowError(/-c workers=/);
    expect(() => synth({ retention: 'sometimes' })).toThrowError(/-c retention=/);
    expect(() => synth({ feeCapGwei: '1:lots' })).toThrowError(/-c feeCapGwei=\.\.\.: "1:lots" must be/);
    expect(() => synth({ lowBalanceWei: '1:lots' })).toThrowError(/-c lowBalanceWei=\.\.\.: "1:lots" must be/);
  });

  it('reads reserveConcurrency as true or false, from -c (a string) or cdk.json (a boolean), and refuses anything else', () => {
    expect(stackSettings({ chainId: 1 }).reserveConcurrency).toBe(false);
    // "false" is not a non-empty string that coerces to true.
    for (const off of ['false', false])
      expect(stackSettings({ chainId: 1, reserveConcurrency: off }).reserveConcurrency).toBe(false);
    for (const on of ['true', true])
      expect(stackSettings({ chainId: 1, reserveConcurrency: on }).reserveConcurrency).toBe(true);
    for (const bad of ['yes', '1', ''])
      expect(() => stackSettings({ chainId: 1, reserveConcurrency: bad }), bad).toThrowError(
        /-c reserveConcurrency=\.\.\.: must be true or false/,
      );
  });

  it('refuses a signer pool it cannot build: a count outside 1..20, a value that is not a key ARN, both ways at once', () => {
    const count = /-c signerKeys=\.\.\.: must be a whole number of keys, 1 to 20/;
    for (const bad of ['0', '21', 'three', '2.5', '']) {
      expect(() => synth({ signerKeys: bad }), bad).toThrowError(StackSettingsError);
      expect(() => synth({ signerKeys: bad }), bad).toThrowError(count);
    }
    expect(() => synth({ signerKeys: '20' })).not.toThrow();
    const [arn = '', other = ''] = importedArns;
    const notAnArn = (v: string) =>
      new RegExp(`-c signerKeyArns=\\.\\.\\.: "${v.replace(/[/.*]/g, '\\$&')}" is not a KMS key ARN`);
    for (const bad of [
      'arn:aws:kms:us-east-1:111122223333:alias/signer',
      '0b8e2c4a-1111-4b1e-9c3d-000000000001',
      'arn:aws:kms:us-east-1:1111:key/0b8e2c4a-1111-4b1e-9c3d-000000000001',
      'arn:aws:s3:::bucket',
    ])
      expect(() => synth({ signerKeyArns: `${arn},${bad}` }), bad).toThrowError(notAnArn(bad));
    expect(() => synth({ signerKeyArns: ' , ' })).toThrowError(/-c signerKeyArns=\.\.\.: names no key/);
    expect(() => synth({ signerKeyArns: `${arn},${other},${arn}` })).toThrowError(
      /-c signerKeyArns=\.\.\.: names arn:aws:kms:\S+ more than once/,
    );
    expect(() => synth({ signerKeyArns: Array.from({ length: 21 }, () => arn) })).toThrowError(/at most 20/);
    expect(() => synth({ signerKeys: '2', signerKeyArns: arn })).toThrowError(
      /-c signerKeys=\.\.\.: give signerKeys \(keys the stack creates\) or signerKeyArns \(keys you have\), not both/,
    );
    // A list in cdk.json's context works as the comma-separated string does.
    const listed = synth({ signerKeyArns: importedArns });
    expect(listed.stack.signingKeys.map((k) => k.keyArn)).toEqual(importedArns);
  });

  it('gives every function the same lifecycle settings, so the tracker and the broadcaster never disagree', () => {
    const set = synth({
      feeCapGwei: '1:300',
      stuckAfterBlocks: '4',
      confirmations: '1:12',
      trackIntervalSeconds: '1:12',
      lowBalanceWei: '1:50000000000000000',
    });
    const variables = ofType(set.json, 'AWS::Lambda::Function')
      .map(([, r]) => r.Properties.Environment?.Variables ?? {})
      .filter((v: Record<string, unknown>) => v.CHAIN_ID !== undefined);
    expect(variables).toHaveLength(functionNames.length);
    for (const v of variables) {
      expect(v).toMatchObject({
        FEE_CAP_GWEI: '1:300',
        STUCK_AFTER_BLOCKS: '4',
        CONFIRMATIONS: '1:12',
        TRACK_INTERVAL_SECONDS: '1:12',
        LOW_BALANCE_WEI: '1:50000000000000000',
      });
    }
    // Unset: no variable, each chain's default.
    for (const variable of ['FEE_CAP_GWEI', 'LOW_BALANCE_WEI'])
      expect(fn.tracker.props.Environment.Variables[variable], variable).toBeUndefined();
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, with a pool of created keys or of imported ones too', () => {
    for (const s of [base, pooled, imported]) {
      const report = new cdkNag.AwsSolutionsChecks(s.app).validateScope(s.app);
      expect(
        report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
      ).toEqual([]);
    }
  });

  it('every acknowledgement carries its reason', () => {
    const acknowledged: Array<[string, string]> = [];
    for (const construct of base.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>))
          acknowledged.push([id, String(reason)]);
      }
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(40);
  });

  it('would report a finding that nobody acknowledged (the check is live)', () => {
    const app = new App();
    const stack = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], chainId: '11155111' } }), {
      settingsDir: noSettingsDir,
    });
    new Secret(stack, 'Unrotated');
    const report = new cdkNag.AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-SMG4');
  });
});

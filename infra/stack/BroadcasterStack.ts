import {
  Aws,
  CfnOutput,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { httpApiRoutes } from '../../functions/lib/api/routeTable.ts';
import { indexes, projectionOf } from '../../functions/lib/store/tableDesign.ts';
import { handlers } from '../handlers.ts';
import {
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
  tableAccess,
  table as tableTopology,
  visibilityTimeoutSeconds,
} from '../topology.ts';
import { BroadcasterFunction, type QueueAccess } from './BroadcasterFunction.ts';
import { operatorDashboard, serviceMetric } from './operatorDashboard.ts';
import type { SignerAddressData, SignerAddressProperties } from './signerAddressHandler.ts';
import { type StackSettings, settingsEnvironment, signerPool } from './stackSettings.ts';

/** The stack's properties, already parsed from CDK context by `stackSettings`. */
export type BroadcasterStackProps = StackProps & { settings: StackSettings };

/** CDK's names for the projections of the table design. */
const projectionTypes = {
  ALL: ProjectionType.ALL,
  KEYS_ONLY: ProjectionType.KEYS_ONLY,
  INCLUDE: ProjectionType.INCLUDE,
} as const;

/** Key administration without the power to sign or to create grants: signing is named separately. */
const keyAdminActions = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * The transaction broadcaster on AWS: HTTP API with a Lambda authorizer, the handlers, the queues with
 * DLQs, the table, the KMS signer pool (and each key's address), the sweep schedule, and alarms to an SNS topic.
 */
export class BroadcasterStack extends Stack {
  readonly functions: Record<FunctionName, BroadcasterFunction>;
  readonly table: Table;
  readonly queues: Record<QueueName, Queue>;
  /** Each queue's dead-letter queue. */
  readonly deadLetterQueues: Record<QueueName, Queue>;
  /** The signer pool, in order: the keys the stack created, or those it imported (`signerKeyArns`). */
  readonly signingKeys: IKey[];
  /** The first key of the pool (construct id `SignerKey`, as before there was a pool). */
  readonly signingKey: IKey;
  /** Each key's Ethereum address, derived at deploy time (`Custom::SignerAddress`), in the pool's order. */
  readonly signerAddresses: string[];
  /** The deploy-time function behind `Custom::SignerAddress`: it reads the keys' public keys, nothing else. */
  readonly signerAddressResolver: BroadcasterFunction;
  readonly chainsSecret: Secret;
  readonly tokensSecret: Secret;
  /** The Standard Webhooks signing secret(s) the notifier signs with, `whsec_...` (two, space-separated, while rotating). */
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: BroadcasterStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // `retain` keeps what holds state (table, secrets, logs) when the stack is deleted or a resource replaced,
    // but not when the create of it rolled back (RetainExceptOnCreate): plain Retain left a failed first
    // deploy's empty table, secrets and log groups behind, unowned by any stack, for the operator to find.
    const removalPolicy =
      settings.retention === 'retain' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;
    const logRetention = retentionDays(settings.logRetentionDays);

    // --- table: mirrors functions/lib/store/tableDesign.ts, the definition the local runner creates
    const table = new Table(this, 'Transactions', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // DynamoDB deletes expired idempotency records; the store also checks the expiry itself.
      timeToLiveAttribute: tableTopology.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      // No deletion protection: CloudFormation cannot delete a protected table, so a rolled-back create would
      // end ROLLBACK_FAILED with the table left behind. The removal policy keeps it from a stack delete or
      // a replacement, no function may delete it, and point-in-time recovery keeps a table deleted by hand as
      // a system backup for 35 days.
      deletionProtection: false,
      removalPolicy,
    });
    for (const [indexName, index] of Object.entries(indexes)) {
      const projection = projectionOf(index);
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: index.sortType === 'N' ? AttributeType.NUMBER : AttributeType.STRING },
        projectionType: projectionTypes[projection.ProjectionType ?? 'ALL'],
        ...(projection.NonKeyAttributes ? { nonKeyAttributes: projection.NonKeyAttributes } : {}),
      });
    }

    // --- queues, each with its DLQ; visibility follows the consumer's timeout (infra/topology.ts)
    const queueWithDlq = (name: QueueName) => {
      const id = pascalCase(name);
      const common = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;
      const deadLetterQueue = new Queue(this, `${id}Dlq`, {
        ...common,
        retentionPeriod: Duration.seconds(retention.deadLetterSeconds),
      });
      const queue = new Queue(this, id, {
        ...common,
        visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(name)),
        retentionPeriod: Duration.seconds(retention.queueSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: retention.maxReceiveCount },
      });
      return { queue, deadLetterQueue };
    };
    const withDlq = byName(queueNames, queueWithDlq);
    this.table = table;
    this.queues = byName(queueNames, (name) => withDlq[name].queue);
    this.deadLetterQueues = byName(queueNames, (name) => withDlq[name].deadLetterQueue);

    // --- secrets: the operator puts the values (README: Deploying to AWS). Their first value is generated,
    // never written in the template: CloudFormation would write a literal value again on any later update of
    // the secret, wiping the URLs or tokens the operator put there.
    const secretRemoval = { removalPolicy };
    const chainsSecret = new Secret(this, 'ChainsSecret', {
      description: 'RPC URL per chain id, {"<chain id>": "<https url>"}: provider URLs carry API keys',
      // Random text, not JSON: the functions refuse to start, saying so, until the operator puts the URLs.
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      ...secretRemoval,
    });
    Validations.of(chainsSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Holds RPC provider URLs: they are rotated at the provider and put here by the operator; there is no service for a rotation Lambda to call.',
    });
    const tokensSecret = new Secret(this, 'TokensSecret', {
      description:
        'API tokens as HMAC-SHA256 under hashKey, each naming its client and role: {"hashKey": "...", "tokens": [{"hash", "client", "role"}]}',
      // A random key to hash tokens with, and no token: every request is refused until the operator adds one.
      generateSecretString: {
        secretStringTemplate: '{"tokens":[]}',
        generateStringKey: 'hashKey',
        passwordLength: 48,
        excludePunctuation: true,
      },
      ...secretRemoval,
    });
    Validations.of(tokensSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Holds keyed hashes of API tokens that clients keep; rotation is adding a new token for the same client, moving it over, removing the old one (README), which a rotation Lambda cannot do.',
    });
    const webhookSecret = new Secret(this, 'WebhookSecret', {
      description:
        'Webhook signing secret(s), Standard Webhooks: whsec_<base64 of 24+ bytes>; two, space-separated, while receivers move to the new one',
      // Random letters and digits, never `whsec_...`: no webhook is signed with a key the operator has not chosen.
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      ...secretRemoval,
    });
    Validations.of(webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Every webhook receiver verifies with this secret: rotation is putting the new one beside the old, moving each receiver over, then removing the old (README), which a rotation Lambda cannot coordinate.',
    });

    // --- functions: each handler module of infra/handlers.ts, deployed as infra/topology.ts says
    const deploy = (name: FunctionName): BroadcasterFunction => {
      // Opt-in (`reserveConcurrency`): the mappings' maxConcurrency bounds the pool without reserving.
      const reserved = settings.reserveConcurrency ? reservedConcurrency(name, settings.workers) : undefined;
      return new BroadcasterFunction(this, pascalCase(name), {
        entry: handlers[name].entry,
        description: functions[name].description,
        timeout: Duration.seconds(functions[name].timeoutSeconds),
        memorySize: functions[name].memoryMb,
        logRetention,
        removalPolicy,
        environment: {
          LOG_LEVEL: settings.logLevel,
          CHAIN_ID: String(settings.chainId),
          ...settingsEnvironment(settings, name),
        },
        ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
      });
    };
    this.functions = byName(functionNames, deploy);
    const { api, broadcaster, updater, tracker, notifier, sweep, authorizer } = this.functions;
    this.chainsSecret = chainsSecret;
    this.tokensSecret = tokensSecret;
    this.webhookSecret = webhookSecret;

    // A signer's lease on a transaction lasts as long as the broadcaster may run, so a lease never outlives its worker.
    for (const fn of [broadcaster, sweep]) fn.addEnvironment('SIGNING_LEASE_SECONDS', String(signingLease.seconds));
    api.addEnvironment('AUTH_MODE', 'authorizer');

    for (const [name, access] of Object.entries(queueAccess) as Array<
      [keyof typeof queueAccess, Record<QueueName, QueueAccess>]
    >) {
      const fn = this.functions[name];
      fn.bindTable(table, tableAccess[name]);
      for (const queue of queueNames)
        fn.bindQueue(`${queue.toUpperCase()}_QUEUE_URL`, this.queues[queue], access[queue]);
    }
    // A function that puts a message in a dead-letter queue itself (the notifier, after a webhook's last attempt).
    for (const [name, dlqs] of Object.entries(deadLetterAccess) as Array<
      [keyof typeof deadLetterAccess, readonly QueueName[]]
    >)
      for (const queue of dlqs)
        this.functions[name].bindQueue(`${queue.toUpperCase()}_DLQ_URL`, this.deadLetterQueues[queue], 'send');
    // The functions that talk to a chain read its RPC URL from the secret; the updater never does.
    for (const fn of [api, broadcaster, tracker, sweep]) fn.bindSecret('CHAINS_SECRET_ARN', chainsSecret);
    authorizer.bindSecret('TOKEN_SECRET_ARN', tokensSecret);
    // The notifier signs with it; the api reads it to know whether webhooks are configured. The other
    // functions that hand events to the notifier (the updater, the sweep) only check that one is configured:
    // its ARN, not its value.
    for (const fn of [api, notifier]) fn.bindSecret('WEBHOOK_SECRET_ARN', webhookSecret);
    for (const fn of [updater, sweep]) fn.bindSecret('WEBHOOK_SECRET_ARN', webhookSecret, 'arn');

    // --- the signer pool: secp256k1 keys the stack creates, each with a key policy that names who may sign,
    // or existing keys (`signerKeyArns`) whose key policies are the operator's (README: Deploying to AWS)
    const pool = signerPool(settings);
    this.signingKeys =
      'use' in pool
        ? pool.use.map((arn, i) => Key.fromKeyArn(this, signerKeyId(i), arn))
        : Array.from({ length: pool.create }, (_, i) => this.signerKey(signerKeyId(i), broadcaster));
    const [firstKey] = this.signingKeys;
    if (!firstKey) throw new Error('the signer pool has no key');
    this.signingKey = firstKey;
    // Only the broadcaster signs: the sweep finds nonce gaps and asks the broadcaster to fill them. The api
    // (a request's `from`, the admin's signers view), the sweep (the balance watch) and the tracker know the
    // pool's addresses from the public keys; the updater and the notifier never need them (but are told the
    // pool: the services refuse to start on Lambda without it).
    broadcaster.bindSigningKeys(this.signingKeys, 'sign');
    for (const fn of [api, sweep, tracker]) fn.bindSigningKeys(this.signingKeys, 'read');
    for (const fn of [updater, notifier]) fn.bindSigningKeys(this.signingKeys, 'none');
    const addresses = this.signerAddressResources(this.signingKeys, { logRetention, removalPolicy });
    this.signerAddresses = addresses.addresses;
    this.signerAddressResolver = addresses.resolver;

    // --- event source mappings: the worker pool, each queue to its consumer (infra/topology.ts)
    for (const name of queueNames) {
      const { consumer, maxConcurrency } = queues[name];
      this.functions[consumer].addEventSource(
        new SqsEventSource(this.queues[name], {
          batchSize: settings.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: maxConcurrency(settings.workers),
        }),
      );
    }

    // --- the sweep, on its schedule; a late run is dropped rather than queued behind the next one
    const sweepPeriod = Duration.seconds(sweepSchedule.everySeconds);
    sweep.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: sweepPeriod });
    const schedulerRole = new Role(this, 'SweepSchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler: may invoke the sweep, nothing else',
    });
    new Schedule(this, 'SweepSchedule', {
      description: 'Runs the recovery sweep',
      schedule: ScheduleExpression.rate(sweepPeriod),
      target: new LambdaInvoke(sweep, { role: schedulerRole, retryAttempts: 0, maxEventAge: sweepPeriod }),
    });
    const cfnSweep = sweep.node.defaultChild;
    if (cfnSweep instanceof CfnFunction) {
      Validations.of(schedulerRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(cfnSweep)}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the sweep function and its versions; it names no other function.',
      });
    }

    // --- HTTP API
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    const httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Transaction broadcaster',
      createDefaultStage: false,
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const tokenAuthorizer = new HttpLambdaAuthorizer('BearerToken', authorizer, {
      identitySource: ['$request.header.Authorization'],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // API Gateway keeps each token's answer this long; the authorizer also caches the secret as long.
      resultsCacheTtl: Duration.minutes(5),
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', api);
    for (const route of httpApiRoutes) {
      const httpRoute = new HttpRoute(this, `Route${route.method}${route.path.replace(/[^A-Za-z0-9]/g, '')}`, {
        httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        authorizer: route.access === 'none' ? new HttpNoneAuthorizer() : tokenAuthorizer,
      });
      if (route.access === 'none') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is open by the api's own route table (access: none): it reveals no transaction and no secret.`,
        });
      }
    }

    // --- alarms
    const topic = this.alarmTopic(settings.alarmEmail);
    const alarm = (id: string, metric: IMetric, threshold: number, description: string) => {
      const a = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new SnsAction(topic));
      a.addOkAction(new SnsAction(topic));
      return a;
    };
    const period = Duration.minutes(1);
    for (const name of queueNames) {
      alarm(
        `${pascalCase(name)}DlqNotEmpty`,
        this.deadLetterQueues[name].metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        1,
        name === 'notifications'
          ? 'Webhook events in the notifications DLQ: every delivery failed (the receiver is down, refuses them, or is unreachable); read them, fix the receiver, redrive'
          : `Messages in the ${name} DLQ: a transaction may be stuck; read them, fix the cause, redrive`,
      );
    }
    alarm(
      'RequestsWaiting',
      this.queues.requests.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      settings.oldestRequestAlarmSeconds,
      `A request has waited ${settings.oldestRequestAlarmSeconds} s for a worker: the pool is saturated or failing`,
    );
    alarm(
      'StuckAtFeeCap',
      serviceMetric('stuck', { period, statistic: 'Sum' }),
      1,
      'A transaction waits at the fee cap (FEE_CAP_GWEI) and holds up its sender: raise the cap, or wait for the market; the tracker log line "stuck at the fee cap" names it',
    );
    alarm(
      'WebhookGaveUp',
      serviceMetric('webhookGaveUp', { period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'The notifier gave up on a webhook event (every delivery failed) and put it in the notifications DLQ: the receiver is down or refuses it; the notifier log names the event (eventId) and its last answer',
    );
    alarm(
      'SignersLowOnBalance',
      // The sweep counts them on each run: the largest count of a run is how many are low now.
      serviceMetric('lowBalance', { period: sweepPeriod, statistic: 'Maximum' }),
      1,
      'A signer’s balance is below LOW_BALANCE_WEI: it takes no new transactions until funded; the SignerBalance metric and the admin signers view name it and its chain',
    );
    alarm(
      'SignerStalled',
      // The sweep's nonce watch: a signer with nonces taken and unmined whose chain's mined nonce has not moved.
      serviceMetric('stalledSigners', { period: sweepPeriod, statistic: 'Maximum' }),
      1,
      'A signer has nonces taken but unmined, and the chain’s mined nonce for it has not moved for STALL_AFTER_SECONDS: the chain stopped mining what the node accepted, a nonce gap holds it, or a transaction waits at the fee cap; the NonceLag metric and the admin signers view (next nonce against mined nonce) name it',
    );
    // Of the transactions that ended in the last 15 minutes, the share that failed (none ended: 0). Ten per
    // cent: a few failures are a client's own (no funds, a revert at estimate); a tenth is the system's.
    // Each series is FILLed with 0: metric math gives no value where one of its series has no datapoint, so
    // 15 minutes in which everything failed (nothing confirmed) would otherwise read as no data, not 100%.
    const failureRateAlarmPercent = 10;
    const fifteen = Duration.minutes(15);
    const ended = 'FILL(confirmed, 0) + FILL(reverted, 0) + FILL(failed, 0)';
    alarm(
      'FailureRate',
      new MathExpression({
        expression: `IF(${ended} > 0, 100 * FILL(failed, 0) / (${ended}), 0)`,
        usingMetrics: {
          confirmed: serviceMetric('confirmed', { period: fifteen }),
          reverted: serviceMetric('reverted', { period: fifteen }),
          failed: serviceMetric('failed', { period: fifteen }),
        },
        period: fifteen,
        label: 'failed, % of ended',
      }),
      failureRateAlarmPercent,
      `At least ${failureRateAlarmPercent}% of the transactions that ended in 15 minutes failed: the dashboard's "Failed, by reason" and "Latest failures" say which and why (a node refusing them, no funds, fees)`,
    );
    alarm(
      'Api5xx',
      httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      5,
      'The API answered 5xx at least 5 times in 5 minutes: the api function failed or timed out (its Errors alarm and log), or the authorizer did, or the stack is unconfigured (its 503s); a client that got one may or may not have a transaction recorded: it retries with its Idempotency-Key',
    );
    for (const [name, fn] of Object.entries(this.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period, statistic: 'Sum' }), 1, `The ${name} function failed`);
      alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period, statistic: 'Sum' }),
        1,
        `The ${name} function was throttled`,
      );
    }

    // --- the operator's dashboard (README: "The dashboard")
    const dashboard = operatorDashboard(this, 'Dashboard', {
      httpApi,
      functions: this.functions,
      queues: this.queues,
      deadLetterQueues: this.deadLetterQueues,
      table,
    });

    // --- outputs
    new CfnOutput(this, 'DashboardName', {
      value: dashboard.dashboardName,
      description: 'CloudWatch > Dashboards: the operator’s view',
    });
    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the HTTP API' });
    // Each key of the pool and the address to fund: `SignerKeyArn` and `SignerAddress` for the first, as before
    // there was a pool; `SignerKey2Arn` and `SignerAddress2` for the second, and so on.
    this.signingKeys.forEach((key, i) => {
      const n = i === 0 ? '' : String(i + 1);
      new CfnOutput(this, `SignerKey${n}Arn`, {
        value: key.keyArn,
        description: `Signing key ${i + 1} of ${this.signingKeys.length}; its address: npm run signer-address -- <this ARN>`,
      });
      new CfnOutput(this, `SignerAddress${n}`, {
        value: this.signerAddresses[i] ?? '',
        description: `The Ethereum address of signing key ${i + 1}: fund it on every chain you configured`,
      });
    });
    if (broadcaster.role)
      new CfnOutput(this, 'BroadcasterRoleArn', {
        value: broadcaster.role.roleArn,
        description: 'The only role that may sign: an imported key’s policy denies kms:Sign to every other',
      });
    new CfnOutput(this, 'ChainsSecretArn', {
      value: chainsSecret.secretArn,
      description: 'Put {"<chain id>": "<rpc url>"} here',
    });
    new CfnOutput(this, 'TokensSecretArn', {
      value: tokensSecret.secretArn,
      description: 'Put the API token hashes here',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: webhookSecret.secretArn,
      description:
        'Put the webhook signing secret here: whsec_<base64 of 24+ bytes> (two, space-separated, while rotating)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn, description: 'Subscribe to receive the alarms' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
  }

  /** A secp256k1 signing key the stack creates, whose key policy lets `signer` alone sign. */
  private signerKey(id: string, signer: BroadcasterFunction): Key {
    const signerArns = [signer.role].flatMap((r) => (r ? [r.roleArn] : []));
    return new Key(this, id, {
      description: 'Signs the broadcaster’s Ethereum transactions (secp256k1); the private key never leaves KMS',
      keySpec: KeySpec.ECC_SECG_P256K1,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Never deleted with the stack, whatever `retention` says: the funds at its address would be lost with
      // it. Only a create that rolled back deletes it (KMS waits 30 days first): nobody has funded an address
      // the deploy never printed.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      policy: new PolicyDocument({
        statements: [
          // kms:Get* includes GetPublicKey: the account's IAM policies grant it to the functions that read addresses.
          new PolicyStatement({
            sid: 'AccountAdministersButDoesNotSign',
            principals: [new AccountRootPrincipal()],
            actions: keyAdminActions,
            resources: ['*'],
          }),
          // Named by ARN in a condition rather than as principals: KMS refuses a principal it cannot see yet,
          // and a role created seconds earlier in the same deployment may not be visible to it.
          new PolicyStatement({
            sid: 'OnlyTheBroadcasterSigns',
            principals: [new AccountRootPrincipal()],
            actions: ['kms:Sign', 'kms:GetPublicKey'],
            resources: ['*'],
            conditions: { ArnEquals: { 'aws:PrincipalArn': signerArns } },
          }),
          new PolicyStatement({
            sid: 'NobodyElseSigns',
            effect: Effect.DENY,
            principals: [new AnyPrincipal()],
            actions: ['kms:Sign'],
            resources: ['*'],
            conditions: { ArnNotEquals: { 'aws:PrincipalArn': signerArns } },
          }),
        ],
      }),
    });
  }

  /**
   * One `Custom::SignerAddress` per key, answering its Ethereum address at deploy time (KMS gives the public
   * key only to a caller; synth never calls AWS). Their handler may read the public keys and nothing else.
   */
  private signerAddressResources(
    keys: IKey[],
    options: { logRetention: RetentionDays; removalPolicy: RemovalPolicy },
  ): { resolver: BroadcasterFunction; addresses: string[] } {
    const resolver = new BroadcasterFunction(this, 'SignerAddressResolver', {
      entry: 'infra/stack/signerAddressHandler.ts',
      description: 'At deploy time: the Ethereum address of each signing key (kms:GetPublicKey), for the outputs',
      timeout: Duration.seconds(30),
      memorySize: 256,
      ...options,
    });
    for (const key of keys) key.grant(resolver, 'kms:GetPublicKey');
    // The provider framework's own function: our role and log group rather than its defaults (a managed
    // policy that writes to any log group, and logs kept forever).
    const frameworkRole = new Role(this, 'SignerAddressProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'The signer address provider framework: invokes the resolver, writes its own logs',
    });
    const frameworkLogs = new LogGroup(this, 'SignerAddressProviderLogs', {
      retention: options.logRetention,
      removalPolicy: options.removalPolicy,
    });
    frameworkLogs.grantWrite(frameworkRole);
    const provider = new Provider(this, 'SignerAddressProvider', {
      onEventHandler: resolver,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    const cfnResolver = resolver.node.defaultChild;
    if (cfnResolver instanceof CfnFunction) {
      Validations.of(frameworkRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(cfnResolver)}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction on the signer address resolver and its versions (the Provider framework’s grant); it names no other function.',
      });
    }
    const addresses = keys.map((key, i) => {
      const properties: Omit<SignerAddressProperties, 'ServiceToken'> = { KeyId: key.keyArn };
      const resource = new CustomResource(this, signerAddressId(i), {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::SignerAddress',
        properties,
      });
      const address: keyof SignerAddressData = 'Address';
      return resource.getAttString(address);
    });
    return { resolver, addresses };
  }

  /** An SNS topic for the alarms, encrypted with a key CloudWatch may use (it cannot use the AWS-managed SNS key). */
  private alarmTopic(email: string | undefined): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts alarm notifications',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'AlarmTopic', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'Broadcaster alarms',
    });
    // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one (which let the account's
    // services publish): with only its Deny, every alarm action failed, silently. CloudWatch may publish for
    // this account's alarms alone, so no other account's alarm can use the topic (the confused deputy).
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

/** The construct id of the pool's key `i` (from 0): `SignerKey` for the first, as before there was a pool, then `SignerKey2`... */
export function signerKeyId(i: number): string {
  return i === 0 ? 'SignerKey' : `SignerKey${i + 1}`;
}

/** The construct id of the resource that answers key `i`'s address: `SignerKeyAddress`, `SignerKey2Address`... */
export function signerAddressId(i: number): string {
  return `${signerKeyId(i)}Address`;
}

/** One value per name, as a record keyed by the names (in their order). */
function byName<K extends string, T>(names: readonly K[], make: (name: K) => T): Record<K, T> {
  // Object.fromEntries types its keys as string; each of `names` is one.
  return Object.fromEntries(names.map((name) => [name, make(name)])) as Record<K, T>;
}

/** `requests` -> `Requests`: the construct id of a function or queue. */
function pascalCase(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

function retentionDays(days: StackSettings['logRetentionDays']): RetentionDays {
  const byDays: Record<StackSettings['logRetentionDays'], RetentionDays> = {
    7: RetentionDays.ONE_WEEK,
    14: RetentionDays.TWO_WEEKS,
    30: RetentionDays.ONE_MONTH,
    90: RetentionDays.THREE_MONTHS,
    180: RetentionDays.SIX_MONTHS,
    365: RetentionDays.ONE_YEAR,
  };
  return byDays[days];
}

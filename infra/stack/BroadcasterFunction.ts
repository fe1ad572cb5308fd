import { fileURLToPath } from 'node:url';
import { type Duration, Fn, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnTable, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { bundling } from '../handlers.ts';
import type { TableAction } from '../topology.ts';

/** The repository root: entries, the lock file and tsconfig are found from here. */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** CDK's names for the esbuild output formats. */
const outputFormats = { esm: OutputFormat.ESM, cjs: OutputFormat.CJS } as const;

/** What differs between the service's functions; everything else is a default of the class. */
export type BroadcasterFunctionProps = {
  /** The handler module, relative to the repository root (e.g. `functions/api.ts`); it exports `handler`. */
  entry: string;
  description: string;
  timeout: Duration;
  /** MB; each function's is in infra/topology.ts (`memoryMb`), where the benchmark's cost estimate reads it. */
  memorySize: number;
  reservedConcurrentExecutions?: number;
  environment?: Record<string, string>;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
};

/** What a function may do with a queue it is bound to; the runtime needs every queue's URL either way. */
export type QueueAccess = 'send' | 'describe' | 'url';

/** What a function may do with the signer pool's keys: sign with them, read their public keys, or neither. */
export type SigningAccess = 'sign' | 'read' | 'none';

/**
 * A Lambda function of this service with its defaults in one place: Node.js 22 on ARM64, an ESM bundle
 * built by the local esbuild (no Docker), minified with source maps, its own log group and a role that
 * holds nothing until something is bound. `bind*` sets a resource's env var and its IAM grant in one call.
 */
export class BroadcasterFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: BroadcasterFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Our own role rather than the default one: the default attaches a managed policy that writes to any log group.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: only what its bindings grant`,
    });
    super(scope, id, {
      entry: `${projectRoot}${props.entry}`,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      // Stack traces point into the sources, not the minified bundle.
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      bundling: {
        format: outputFormats[bundling.format],
        target: bundling.target,
        minify: bundling.minify,
        sourceMap: true,
        sourcesContent: false,
        mainFields: [...bundling.mainFields],
        externalModules: [...bundling.externalModules],
        forceDockerBundling: false,
        banner: bundling.banner,
      },
    });
    logGroup.grantWrite(role);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the version the project pins (package.json `node`) and tests on; the bundles target node22. It moves with the project, not ahead of it.',
    });
  }

  /** Binds the table: its name in `TABLE_NAME`, and the `actions` on its items and indexes (infra/topology.ts `tableAccess`). */
  bindTable(table: Table, actions: readonly TableAction[]): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    // On the table and its indexes; the table is encrypted with an AWS-owned key, so no key grant is needed.
    table.grant(this, ...actions.map((a) => `dynamodb:${a}`));
    const cfnTable = table.node.defaultChild;
    if (this.role && cfnTable instanceof CfnTable) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(table).getLogicalId(cfnTable)}.Arn>/index/*]`,
        reason:
          'The store queries the table’s own global secondary indexes (byKind, byStatus, open, bySender); the wildcard covers only this table’s indexes.',
      });
    }
    return this;
  }

  /** Binds a queue: its URL in `envName`, and `send` (SendMessage), `describe` (the health check) or `url` alone. */
  bindQueue(
    envName: string,
    queue: Pick<IQueue, 'queueUrl' | 'grantSendMessages' | 'grant'>,
    access: QueueAccess,
  ): this {
    this.addEnvironment(envName, queue.queueUrl);
    if (access === 'send') queue.grantSendMessages(this);
    if (access === 'describe') queue.grant(this, 'sqs:GetQueueAttributes');
    return this;
  }

  /**
   * Binds a secret: its ARN in `envName`, and permission to `read` its value; or the ARN alone (`arn`), for a
   * function that only needs to know the secret is configured.
   */
  bindSecret(envName: string, secret: Pick<ISecret, 'secretArn' | 'grantRead'>, access: 'read' | 'arn' = 'read'): this {
    this.addEnvironment(envName, secret.secretArn);
    if (access === 'read') secret.grantRead(this);
    return this;
  }

  /**
   * Binds the signer pool: every key's ARN in `KMS_KEY_IDS`, comma-separated (so the runtime never falls
   * back to a local key), and on each key `sign` (`kms:Sign` and `kms:GetPublicKey`: the broadcaster),
   * `read` (`kms:GetPublicKey` alone: a function that needs the pool's addresses) or `none`.
   */
  bindSigningKeys(keys: ReadonlyArray<Pick<IKey, 'keyArn' | 'grant'>>, access: SigningAccess): this {
    if (keys.length === 0) throw new Error('the signer pool has no key');
    const arns = keys.map((k) => k.keyArn);
    this.addEnvironment('KMS_KEY_IDS', Fn.join(',', arns));
    for (const key of keys) {
      if (access === 'sign') key.grant(this, 'kms:Sign', 'kms:GetPublicKey');
      if (access === 'read') key.grant(this, 'kms:GetPublicKey');
    }
    return this;
  }
}

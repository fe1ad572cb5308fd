import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { selectSigners } from '../../functions/lib/chain/selectSigner.ts';
import { awsEndpoint } from '../../functions/lib/config/awsClientConfig.ts';
import { type Config, devWebhookSecret, loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { serviceHooks } from '../../functions/lib/services/serviceHooks.ts';
import { createNonceStore } from '../../functions/lib/store/NonceStore.ts';
import { loadHandler } from '../handlers.ts';
import type { FunctionName } from '../topology.ts';
import { anvilRpc } from './anvilRpc.ts';
import { anvilStatePath } from './anvilState.ts';
import { createEdgeAuth } from './createEdgeAuth.ts';
import { createPool, type Pool } from './createPool.ts';
import { deadLetterUrlOf, ensureQueues, ensureTable } from './createResources.ts';
import { type Emulator, startAnvil, startDynalite, startSqs } from './emulators.ts';
import { markCleanStop, mendLocalTable, readLocalTableMarks } from './localTableMarks.ts';
import { planPollers } from './planPollers.ts';
import { QueuePoller, type SqsHandler } from './QueuePoller.ts';
import { replayLostTransactions } from './replayLostTransactions.ts';
import { type RunnerSettings, runnerSettings } from './runnerSettings.ts';
import type { StartupTimes } from './StartupTimes.ts';
import { serveHttpApi } from './serveHttpApi.ts';

export type LocalStack = {
  url: string;
  chainId: number;
  rpcUrl: string;
  /** The first signer of the pool (the one a one-key setup signs with). */
  signer: string;
  /** Every signer of the pool, in its order. */
  signers: string[];
  /** Where the emulators listen, for tools and tests that look inside. */
  endpoints: { dynamodb: string; sqs: string };
  /** The handlers' configuration, as they read it. */
  config: Config;
  /** The runner's own settings (port, data directory, pool, batch size, sweep interval, visibility). */
  settings: RunnerSettings;
  sweepNow(): Promise<unknown>;
  /** How the start's time went, ms from its beginning (see `StartupTimes`). */
  startup: StartupTimes;
  /** True when webhooks are signed with the public dev secret (none was configured). */
  devWebhookSecret: boolean;
  stop(): Promise<void>;
};

/**
 * Runs the whole system in this process: dynalite, fauxqs and anvil (each unless an endpoint is
 * configured), the table and queues, the HTTP API, a poller per queue standing in for Lambda's event
 * source mappings, and the sweep at start-up and on a timer. The handlers are the Lambda modules
 * (infra/handlers.ts), wired as infra/topology.ts says, with its `local` values.
 */
export async function startLocalStack(env: Record<string, string | undefined> = process.env): Promise<LocalStack> {
  const settings = runnerSettings(env);
  const config = loadConfig(env);
  const logger = new Logger({ serviceName: 'local-runner', logLevel: config.LOG_LEVEL });
  const dataDir = resolve(settings.DATA_DIR);
  const started: Emulator[] = [];
  /** Stops what was started, last first; true when everything stopped without an error. */
  const stopAll = async () => {
    let clean = true;
    for (const e of started.reverse()) {
      await e.stop().catch(() => {
        clean = false;
      });
    }
    return clean;
  };
  try {
    const dynamoUrl = awsEndpoint(config, 'DYNAMODB');
    const sqsUrl = awsEndpoint(config, 'SQS');
    const startedAt = performance.now();
    const elapsed = () => Math.round(performance.now() - startedAt);
    // What the last run left, read before this run's dynalite starts a journal of its own.
    const marks = readLocalTableMarks(dataDir);
    let chainMs: number | undefined;
    const [dynamo, sqs, chain] = await Promise.all([
      dynamoUrl ? undefined : startDynalite(join(dataDir, 'dynamodb'), { journal: marks.journalDir }),
      sqsUrl ? undefined : startSqs(),
      config.RPC_URL.length > 0
        ? undefined
        : startAnvil({
            chainId: config.CHAIN_ID,
            statePath: anvilStatePath(dataDir),
            onPoolRepair: (repair) =>
              logger.warn('the local chain held a ready transaction as queued; its pool was sent again', repair),
            onStateError: (error) =>
              logger.warn(
                'the local chain was not written to the data directory; a kill now loses the blocks since its last write',
                {
                  error,
                },
              ),
          }).then((anvil) => {
            chainMs = elapsed();
            return anvil;
          }),
    ]);
    for (const e of [chain, sqs, dynamo]) if (e) started.push(e);
    const emulatorsMs = elapsed();

    // Webhooks are signed with the public dev secret only where none is configured.
    const devSecret = !env.WEBHOOK_SECRET && !env.WEBHOOK_SECRET_ARN;
    // Hand the resolved endpoints to the handlers the way Lambda hands them env vars.
    const handlerEnv = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl ?? dynamo?.url ?? '',
      AWS_ENDPOINT_URL_SQS: sqsUrl ?? sqs?.url ?? '',
      RPC_URL: config.RPC_URL.length > 0 ? config.RPC_URL.join(',') : (chain?.url ?? ''),
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'local',
      AWS_REGION: config.AWS_REGION,
      // Only here, in the local runner, may the handlers sign with a key held in memory.
      LOCAL_SIGNER_ALLOWED: 'true',
      // Webhooks to a receiver on this machine, over http, signed with a dev secret unless one is set.
      WEBHOOK_ALLOW_PRIVATE: env.WEBHOOK_ALLOW_PRIVATE ?? 'true',
      WEBHOOK_ALLOW_HTTP: env.WEBHOOK_ALLOW_HTTP ?? 'true',
      ...(devSecret ? { WEBHOOK_SECRET: devWebhookSecret } : {}),
    };
    Object.assign(process.env, handlerEnv);
    const dynamoClient = new DynamoDBClient({
      region: config.AWS_REGION,
      endpoint: handlerEnv.AWS_ENDPOINT_URL_DYNAMODB,
    });
    const sqsClient = new SQSClient({ region: config.AWS_REGION, endpoint: handlerEnv.AWS_ENDPOINT_URL_SQS });
    // The pollers' receives and deletes are SQS requests on AWS too (the event source mapping makes them).
    serviceHooks.awsClient?.(sqsClient, 'local-runner');
    const table = await ensureTable(dynamoClient, config.TABLE_NAME);
    if (table.missing.length > 0) {
      logger.warn(
        'the table was made before some of its indexes existed; what reads them fails until it is made again',
        {
          missing: table.missing,
          remedy: `stop, then delete ${join(dataDir, 'dynamodb')} (its transactions go with it)`,
        },
      );
    }
    // The runner's own table: what the last run left is put right before anything writes. (A run against
    // another DynamoDB leaves the local table's marks and journal for the next run that opens it.)
    const doc = DynamoDBDocumentClient.from(dynamoClient);
    if (!dynamoUrl) await mendLocalTable(doc, config.TABLE_NAME, table, dataDir, marks, logger);
    // The addresses the handlers sign with: the KMS keys' when KMS_KEY_IDS is set (e.g. LocalStack), else the local keys.
    const signers = (await selectSigners({ ...config, LOCAL_SIGNER_ALLOWED: true })()).all.map((s) => s.address);
    // The runner's own chain may come back short of its own table (a kill before its state was written
    // last, or a last write that failed): what the chain had mined is sent again. A start-up that cannot
    // tell goes on: the WARN line says so.
    if (chain && !dynamoUrl) {
      const nonces = createNonceStore(doc, config.TABLE_NAME);
      try {
        const replayed = await replayLostTransactions(nonces, anvilRpc(chain.url, 30_000), config.CHAIN_ID, signers);
        for (const r of replayed) {
          logger.warn('the local chain came back short of the table; what it had mined was sent again', r);
        }
      } catch (error) {
        logger.warn('could not compare the local chain with the table; a nonce the chain lost stays a gap', { error });
      }
    }
    const queueUrls = await ensureQueues(sqsClient, {
      prefix: `${config.TABLE_NAME}-`,
      visibilityTimeoutSeconds: settings.VISIBILITY_TIMEOUT_SECONDS,
    });
    Object.assign(process.env, {
      REQUESTS_QUEUE_URL: queueUrls.requests,
      RETRY_QUEUE_URL: queueUrls.retry,
      RESPONSES_QUEUE_URL: queueUrls.responses,
      TRACKING_QUEUE_URL: queueUrls.tracking,
      NOTIFICATIONS_QUEUE_URL: queueUrls.notifications,
      NOTIFICATIONS_DLQ_URL: deadLetterUrlOf(queueUrls.notifications),
    });

    const [api, broadcaster, updater, tracker, notifier, sweep] = await Promise.all([
      loadHandler('api'),
      loadHandler('broadcaster'),
      loadHandler('updater'),
      loadHandler('tracker'),
      loadHandler('notifier'),
      loadHandler('sweep'),
    ]);
    const consumers: Partial<Record<FunctionName, SqsHandler>> = { broadcaster, updater, tracker, notifier };
    const arnOf = async (url: string) =>
      (await sqsClient.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn ?? url;
    // A consumer's queues share its one pool, the function's concurrency. A poller hands each batch to
    // the pool and polls again, so a few keep every worker busy.
    const wiring = planPollers(settings);
    const pools = new Map<FunctionName, Pool>([...wiring.pools].map(([fn, size]) => [fn, createPool(size)]));
    const pollers = await Promise.all(
      wiring.pollers.map(async (plan) => {
        const handler = consumers[plan.consumer];
        const pool = pools.get(plan.consumer);
        if (!handler || !pool) throw new Error(`the topology has ${plan.consumer} consume ${plan.queue}: no handler`);
        return new QueuePoller({
          sqs: sqsClient,
          queueUrl: queueUrls[plan.queue],
          queueArn: await arnOf(queueUrls[plan.queue]),
          handler,
          pool,
          pollers: plan.pollers,
          batchSize: plan.batchSize,
          visibilityTimeoutSeconds: plan.visibilityTimeoutSeconds,
          logger,
        });
      }),
    );
    for (const p of pollers) p.start();

    let sweeping: Promise<unknown> = Promise.resolve();
    const sweepNow = () => {
      sweeping = sweeping.then(() => sweep()).catch((error) => logger.error('sweep failed', { error }));
      return sweeping;
    };
    await sweepNow();
    const timer = setInterval(() => void sweepNow(), settings.SWEEP_INTERVAL_SECONDS * 1000);

    // The api's own access check, from the configuration the api read at its import (process.env, as on
    // Lambda), run on each request's head before its body is read, as API Gateway's authorizer would.
    const authorize = createEdgeAuth(loadConfig(process.env));
    const http: { server: Server; url: string } = await serveHttpApi(api, settings.HOST, settings.PORT, { authorize });
    const startup: StartupTimes = {
      ...(chainMs === undefined ? {} : { chainMs }),
      emulatorsMs,
      totalMs: elapsed(),
    };
    return {
      url: http.url,
      chainId: config.CHAIN_ID,
      rpcUrl: handlerEnv.RPC_URL ?? '',
      signer: signers[0] as string,
      signers,
      endpoints: { dynamodb: handlerEnv.AWS_ENDPOINT_URL_DYNAMODB, sqs: handlerEnv.AWS_ENDPOINT_URL_SQS },
      config,
      settings,
      sweepNow,
      startup,
      devWebhookSecret: devSecret,
      async stop() {
        clearInterval(timer);
        await new Promise((resolve) => {
          http.server.close(resolve);
          http.server.closeAllConnections();
        });
        await Promise.all(pollers.map((p) => p.stop()));
        await sweeping;
        if ((await stopAll()) && !dynamoUrl) markCleanStop(dataDir);
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

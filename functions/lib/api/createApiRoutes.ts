import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError } from '../errors/AppError.ts';
import { checkHealth } from '../health/checkHealth.ts';
import { parsePrefer } from '../http/parsePrefer.ts';
import { readJsonBody } from '../http/readJsonBody.ts';
import { type HttpResult, json } from '../http/respond.ts';
import type { Runtime } from '../runtime/createRuntime.ts';
import { type Transaction, toView } from '../transactions/model.ts';
import { submitTransaction } from './submitTransaction.ts';
import { waitForOutcome } from './waitForOutcome.ts';

export type Route = {
  method: 'GET' | 'POST';
  path: string;
  handler: (event: APIGatewayProxyEventV2) => Promise<HttpResult>;
};

/** Longest wait a client may ask for: API Gateway gives up on an integration at 30 s. */
export const maxWaitMs = 25_000;

/** 200 once broadcast, 422 once failed for good, 202 while it is still on its way. */
function answerFor(tx: Transaction): HttpResult {
  const location = { location: `/transactions/${tx.id}` };
  if (tx.status === 'success') return json(200, toView(tx), location);
  if (tx.status === 'failed') return json(422, toView(tx), location);
  return json(202, toView(tx), location);
}

/** The routes of the HTTP API, each an adapter from the event to the domain and back. */
export function createApiRoutes(runtime: Runtime): Route[] {
  const { config, transactions, logger } = runtime;
  const submitDeps = {
    transactions,
    requests: runtime.queues.requests,
    chainIds: runtime.chains.chainIds(),
    defaultChainId: config.CHAIN_ID,
    staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
    logger,
    now: () => new Date(),
    newId: randomUUID,
  };
  const routes: Route[] = [
    {
      method: 'POST',
      path: '/transactions',
      async handler(event) {
        const tx = await submitTransaction(submitDeps, readJsonBody(event));
        logger.info('transaction accepted', { transactionId: tx.id });
        const waitMs = parsePrefer(event.headers.prefer, config.BROADCAST_WAIT_MS, maxWaitMs);
        return answerFor(waitMs > 0 ? await waitForOutcome(transactions, tx, waitMs) : tx);
      },
    },
    {
      method: 'GET',
      path: '/transactions/{id}',
      async handler(event) {
        const id = event.pathParameters?.id ?? '';
        const tx = await transactions.get(id);
        if (!tx) throw new NotFoundError(`no transaction with id ${id}`, id);
        return json(200, toView(tx));
      },
    },
    {
      method: 'GET',
      path: '/health',
      async handler() {
        const health = await checkHealth({
          dynamo: runtime.dynamo,
          sqs: runtime.sqs,
          tableName: config.TABLE_NAME,
          queueUrls: runtime.queueUrls,
          chains: runtime.chains,
        });
        return json(health.ok ? 200 : 503, health);
      },
    },
  ];
  return routes;
}

/** For a path no route takes with this method: 405 naming the methods it does take, else 404. */
export function routeMiss(routes: Route[], path: string): never {
  const allowed = routes
    .filter((r) => new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`).test(path))
    .map((r) => r.method);
  if (allowed.length > 0) throw new MethodNotAllowedError(allowed);
  throw new NotFoundError(`no route for ${path}`);
}

import type { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { AccessCheck } from '../auth/createAccessCheck.ts';
import { errorResponses } from '../http/errorResponses.ts';
import type { HttpResult } from '../http/respond.ts';
import type { ServiceMetricsEmitter } from '../metrics/createServiceMetrics.ts';
import { openApiRoute } from './openApiRoute.ts';
import type { Route } from './Route.ts';
import { routeMiss } from './routeMiss.ts';
import { routeTable } from './routeTable.ts';

export type ApiHandlerDeps = {
  access: AccessCheck;
  logger: Logger;
  /** The api's metrics (Submitted), written at the end of each request; none: nothing is counted. */
  metrics?: Pick<ServiceMetricsEmitter<'api'>, 'count' | 'flush'>;
};

const submitKey = routeTable.find((r) => r.name === 'submitTransaction');

/**
 * True for the answer to `POST /transactions` that accepted a new transaction: the API's own contract
 * says so (200, 202 or a 422 `failed` naming its `Location`; an idempotent repeat says
 * `Idempotent-Replayed`; a refusal before anything is recorded has no `Location`).
 */
function acceptedNew(route: Route, answer: HttpResult): boolean {
  if (route.method !== submitKey?.method || route.path !== submitKey.path) return false;
  const headers = answer.headers ?? {};
  return [200, 202, 422].includes(answer.statusCode) && 'location' in headers && !('idempotent-replayed' in headers);
}

/** Each request's Lambda context on the logger (request id, cold start; none from a test), its metrics written after it. */
function invocationContext(deps: ApiHandlerDeps): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  const flush = async () => deps.metrics?.flush();
  return {
    before: async ({ context }) => {
      // The local runner's context is whole; a test may pass `{}` or nothing.
      if (context) deps.logger.addContext(context);
    },
    after: flush,
    onError: flush,
  };
}

/**
 * The HTTP API handler for a route table: headers normalized, each route's access checked before
 * anything else (so a refused request reads no body and writes nothing), every error in one shape,
 * and `GET /openapi.json` generated from the route table.
 */
export function createApiHandler(tableRoutes: Route[], deps: ApiHandlerDeps) {
  const routes: Route[] = [...tableRoutes, openApiRoute(() => routes)];
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(invocationContext(deps))
    .use(httpHeaderNormalizer())
    .use(errorResponses(deps.logger))
    .handler(
      httpRouterHandler({
        routes: routes.map((route) => ({
          method: route.method,
          path: route.path,
          handler: async (event: APIGatewayProxyEventV2) => {
            const answer = await route.handler(event, await deps.access(event, route.access));
            if (acceptedNew(route, answer)) deps.metrics?.count('submitted', 1);
            return answer;
          },
        })),
        notFoundResponse: ({ path }: { path: string }) => routeMiss(routes, path),
      }),
    );
}

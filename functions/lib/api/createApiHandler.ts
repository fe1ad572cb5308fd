import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { AccessCheck } from '../auth/createAccessCheck.ts';
import { errorResponses } from '../http/errorResponses.ts';
import { openApiRoute } from './openApiRoute.ts';
import type { Route } from './Route.ts';
import { routeMiss } from './routeMiss.ts';

/**
 * The HTTP API handler for a route table: headers normalized, each route's access checked before
 * anything else (so a refused request reads no body and writes nothing), every error in one shape,
 * and `GET /openapi.json` generated from the route table.
 */
export function createApiHandler(tableRoutes: Route[], deps: { access: AccessCheck; logger: Logger }) {
  const routes: Route[] = [...tableRoutes, openApiRoute(() => routes)];
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpHeaderNormalizer())
    .use(errorResponses(deps.logger))
    .handler(
      httpRouterHandler({
        routes: routes.map((route) => ({
          method: route.method,
          path: route.path,
          handler: async (event: APIGatewayProxyEventV2) =>
            route.handler(event, await deps.access(event, route.access)),
        })),
        notFoundResponse: ({ path }: { path: string }) => routeMiss(routes, path),
      }),
    );
}

import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createApiRoutes, routeMiss } from './lib/api/createApiRoutes.ts';
import { loadConfig } from './lib/config/loadConfig.ts';
import { errorResponses } from './lib/http/errorResponses.ts';
import { createRuntime } from './lib/runtime/createRuntime.ts';

const runtime = createRuntime(loadConfig(), 'api');
const routes = createApiRoutes(runtime);

/** The HTTP API (API Gateway HTTP API, payload v2). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpHeaderNormalizer())
  .use(errorResponses(runtime.logger))
  .handler(
    httpRouterHandler({
      routes,
      notFoundResponse: ({ path }: { path: string }) => routeMiss(routes, path),
    }),
  );

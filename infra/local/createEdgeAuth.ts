import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { routePattern } from '../../functions/lib/api/routePattern.ts';
import { httpApiRoutes } from '../../functions/lib/api/routeTable.ts';
import { accessCheckFor } from '../../functions/lib/auth/accessCheckFor.ts';
import type { Config } from '../../functions/lib/config/loadConfig.ts';
import { ForbiddenError, UnauthorizedError } from '../../functions/lib/errors/errors.ts';
import { toErrorResponse } from '../../functions/lib/http/toErrorResponse.ts';

/** Decides from a request's headers, method and path alone: the refusal to send, or undefined to go on. */
export type EdgeAuth = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

// The router tries a method's static paths before its templated ones; so does this.
const routes = [...httpApiRoutes]
  .sort((a, b) => Number(a.path.includes('{')) - Number(b.path.includes('{')))
  .map((route) => ({ ...route, pattern: routePattern(route.path) }));

/**
 * The local runner's stand-in for API Gateway's authorizer: the api's own access check (accessCheckFor,
 * as functions/api.ts builds it) run on the body-less event before any body is read, so that a
 * request the api would refuse for its token costs no body. A path no route takes goes on to the api
 * (its 404 or 405 needs no body); so does a check that fails for another reason, which the api reports.
 */
export function createEdgeAuth(config: Config): EdgeAuth {
  const access = accessCheckFor(config);
  return async (event) => {
    const { method, path } = event.requestContext.http;
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) return undefined;
    try {
      await access(event, route.access);
      return undefined;
    } catch (error) {
      if (error instanceof UnauthorizedError || error instanceof ForbiddenError) return toErrorResponse(error);
      return undefined;
    }
  };
}

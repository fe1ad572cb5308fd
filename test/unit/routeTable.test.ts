import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/lib/api/createApiHandler.ts';
import { createApiRoutes } from '../../functions/lib/api/createApiRoutes.ts';
import { httpApiRoutes, routeTable } from '../../functions/lib/api/routeTable.ts';
import { createAccessCheck } from '../../functions/lib/auth/createAccessCheck.ts';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { createServices } from '../../functions/lib/services/createServices.ts';
import { apiEvent } from '../support/apiEvent.ts';

/** The api's services with placeholder endpoints: building them constructs clients only, no I/O. */
function services() {
  const config = loadConfig({
    REQUESTS_QUEUE_URL: 'unused',
    RETRY_QUEUE_URL: 'unused',
    RESPONSES_QUEUE_URL: 'unused',
    TRACKING_QUEUE_URL: 'unused',
    NOTIFICATIONS_QUEUE_URL: 'unused',
    RPC_URL: 'http://127.0.0.1:1',
    LOCAL_SIGNER_ALLOWED: 'true',
    LOG_LEVEL: 'SILENT',
  });
  return createServices(config, 'route-table-test');
}

/** The api handler as functions/api.ts builds it, behind the authorizer. */
function apiHandler() {
  const access = createAccessCheck({ mode: 'authorizer' });
  const handler = createApiHandler(createApiRoutes(services()), { access, logger: new Logger({ logLevel: 'SILENT' }) });
  return async (method: string, path: string) =>
    (await handler(apiEvent(method, path), {} as Context)) as APIGatewayProxyStructuredResultV2;
}

describe('the route table', () => {
  it('is what the api builds its routes from, in its order, each with its key', () => {
    const routes = createApiRoutes(services());
    expect(routes.map(({ method, path, access, summary }) => ({ method, path, access, summary }))).toEqual(
      routeTable.map(({ name: _, ...key }) => key),
    );
  });

  it('the api serves exactly the HTTP API’s routes: the table and GET /openapi.json', async () => {
    // prepare
    const call = apiHandler();
    // act
    const res = await call('GET', '/openapi.json');
    const document = JSON.parse(res.body ?? '{}') as {
      paths: Record<string, Record<string, { 'x-required-role': string }>>;
    };
    // assess
    expect(res.statusCode).toBe(200);
    const served = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        access: op['x-required-role'],
      })),
    );
    const byKey = (a: { method: string; path: string }, b: { method: string; path: string }) =>
      `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`);
    expect(served.sort(byKey)).toEqual([...httpApiRoutes].sort(byKey));
  });

  it('a path outside it is not served', async () => {
    const call = apiHandler();
    expect((await call('GET', '/transactions/x/y')).statusCode).toBe(404);
    expect((await call('DELETE', '/health')).statusCode).toBe(405);
  });
});

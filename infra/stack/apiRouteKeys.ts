import { createApiRoutes } from '../../functions/lib/api/createApiRoutes.ts';
import { openApiRoute } from '../../functions/lib/api/openApiRoute.ts';
import type { Access } from '../../functions/lib/auth/hasRole.ts';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { createServices } from '../../functions/lib/services/createServices.ts';

/** One route of the HTTP API and the least role that may call it (`none`: open). */
export type ApiRouteKey = { method: 'GET' | 'POST'; path: string; access: Access };

/**
 * The api's routes and who may call each, read from the api's own route table, so the HTTP API has
 * exactly the routes the function serves. Building the table only constructs clients: no I/O.
 */
export function apiRouteKeys(): ApiRouteKey[] {
  const placeholder = 'synth-only';
  const config = loadConfig({
    REQUESTS_QUEUE_URL: placeholder,
    RETRY_QUEUE_URL: placeholder,
    RESPONSES_QUEUE_URL: placeholder,
    RPC_URL: 'http://127.0.0.1:8545',
    LOCAL_SIGNER_ALLOWED: 'true',
    LOG_LEVEL: 'SILENT',
  });
  // The handler adds `GET /openapi.json` to the table itself (createApiHandler); the HTTP API needs it too.
  const routes = [...createApiRoutes(createServices(config, 'synth')), openApiRoute(() => [])];
  return routes.map(({ method, path, access }) => ({ method, path, access }));
}

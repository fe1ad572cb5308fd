import { createApiHandler } from './lib/api/createApiHandler.ts';
import { createApiRoutes } from './lib/api/createApiRoutes.ts';
import { createAccessCheck } from './lib/auth/createAccessCheck.ts';
import { createTokenSource } from './lib/auth/createTokenSource.ts';
import { loadServices } from './lib/services/loadServices.ts';

const services = await loadServices('api');
const { config } = services;
const access = createAccessCheck(
  config.AUTH_MODE === 'local' ? { mode: 'local', tokens: createTokenSource(config) } : { mode: 'authorizer' },
);

/** The HTTP API (API Gateway HTTP API, payload v2); behind the Lambda authorizer on AWS (`AUTH_MODE=authorizer`). */
export const handler = createApiHandler(createApiRoutes(services), { access, logger: services.logger });

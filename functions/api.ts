import { createApiHandler } from './lib/api/createApiHandler.ts';
import { createApiRoutes } from './lib/api/createApiRoutes.ts';
import { accessCheckFor } from './lib/auth/accessCheckFor.ts';
import { createServiceMetrics } from './lib/metrics/createServiceMetrics.ts';
import { loadServices } from './lib/services/loadServices.ts';

const services = await loadServices('api');
const { config, logger } = services;
const access = accessCheckFor(config);
const metrics = createServiceMetrics('api', { logger });

/** The HTTP API (API Gateway HTTP API, payload v2); behind the Lambda authorizer on AWS (`AUTH_MODE=authorizer`). */
export const handler = createApiHandler(createApiRoutes(services), { access, logger, metrics });

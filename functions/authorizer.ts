import { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { authenticate } from './lib/auth/authenticate.ts';
import type { Caller } from './lib/auth/Caller.ts';
import { createTokenSource } from './lib/auth/createTokenSource.ts';
import { loadConfig } from './lib/config/loadConfig.ts';
import { UnauthorizedError } from './lib/errors/errors.ts';

const config = loadConfig();
const logger = new Logger({ serviceName: 'authorizer', logLevel: config.LOG_LEVEL });
const tokens = createTokenSource(config);

export type AuthorizerResult = APIGatewaySimpleAuthorizerResult | APIGatewaySimpleAuthorizerWithContextResult<Caller>;

/**
 * API Gateway HTTP API Lambda authorizer (payload 2.0, simple responses): allows a request with a
 * known bearer token and passes its caller to the api as `requestContext.authorizer.lambda` (`client`, `role`).
 * An unreadable token secret throws, so API Gateway fails closed. Its lines carry the invocation's
 * request id and cold start, as every function's do.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
  context?: Context,
): Promise<AuthorizerResult> => {
  if (context) logger.addContext(context);
  try {
    const caller = await authenticate(tokens, event.headers?.authorization);
    return { isAuthorized: true, context: caller };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    logger.info('request denied', { reason: error.message, routeArn: event.routeArn });
    return { isAuthorized: false };
  }
};

import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { NotConfiguredError } from '../errors/errors.ts';
import { toErrorResponse } from './toErrorResponse.ts';

/** middy middleware, registered last: every thrown error becomes the JSON error shape. */
export function errorResponses(logger: Logger): MiddlewareObj {
  return {
    onError: async (request) => {
      const { error } = request;
      const response = toErrorResponse(error);
      // An unconfigured service refuses by design until its operator fills the chains secret: one WARN line
      // naming why, not an ERROR with a stack per request (the sweep warns each run, and API Gateway counts the 503s).
      if (error instanceof NotConfiguredError) logger.warn('request refused: the service is not configured');
      else if (response.statusCode >= 500) logger.error('request failed', { error });
      request.response = response;
    },
  };
}

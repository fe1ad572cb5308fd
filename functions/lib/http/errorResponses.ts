import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { toErrorResponse } from './toErrorResponse.ts';

/** middy middleware, registered last: every thrown error becomes the JSON error shape. */
export function errorResponses(logger: Logger): MiddlewareObj {
  return {
    onError: async (request) => {
      const { error } = request;
      const response = toErrorResponse(error);
      if (response.statusCode >= 500) logger.error('request failed', { error });
      request.response = response;
    },
  };
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { AppError } from '../errors/AppError.ts';
import { toErrorResponse } from './toErrorResponse.ts';

/** middy middleware, registered last: every thrown error becomes the JSON error shape. */
export function errorResponses(logger: Logger): MiddlewareObj {
  return {
    onError: async (request) => {
      const { error } = request;
      const response = toErrorResponse(error);
      if (response.statusCode >= 500) logger.error('request failed', { error });
      else if (!(error instanceof AppError)) logger.warn('request refused', { error });
      request.response = response;
    },
  };
}

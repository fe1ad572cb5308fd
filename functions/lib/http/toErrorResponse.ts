import {
  AppError,
  ForbiddenError,
  IdempotencyConflictError,
  InsufficientBalanceError,
  MethodNotAllowedError,
  NotCancelableError,
  NotConfiguredError,
  NotFoundError,
  NotRebroadcastableError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors/errors.ts';
import { type HttpResult, json } from './respond.ts';

/** The status of each error class: the one place where HTTP status codes for errors are chosen. */
function statusOf(error: AppError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof IdempotencyConflictError) return 409;
  if (error instanceof NotRebroadcastableError) return 409;
  if (error instanceof NotCancelableError) return 409;
  if (error instanceof InsufficientBalanceError) return 422;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  if (error instanceof UnsupportedContentEncodingError) return 415;
  if (error instanceof NotConfiguredError) return 503;
  return 500;
}

/** Headers an error answer must carry (RFC 9110 `Allow`, RFC 6750 `WWW-Authenticate`, RFC 7694 `Accept-Encoding`). */
function headersOf(error: AppError): Record<string, string> {
  if (error instanceof MethodNotAllowedError) return { allow: error.allowed.join(', ') };
  if (error instanceof UnauthorizedError) {
    return { 'www-authenticate': error.given ? 'Bearer error="invalid_token"' : 'Bearer' };
  }
  if (error instanceof ForbiddenError) return { 'www-authenticate': 'Bearer error="insufficient_scope"' };
  if (error instanceof UnsupportedContentEncodingError) return { 'accept-encoding': 'identity' };
  return {};
}

/** Shapes any error as `{error: {code, message, details}}`; our own faults never show their insides. */
export function toErrorResponse(error: unknown): HttpResult {
  if (error instanceof AppError) {
    const status = statusOf(error);
    // A 503 of ours says why and that it will pass (the service is not configured yet); other 5xx hide their insides.
    if (status < 500 || status === 503) {
      const details = error instanceof ValidationError ? error.details : [];
      return json(status, { error: { code: error.code, message: error.message, details } }, headersOf(error));
    }
  }
  return json(500, {
    error: { code: 'internal_error', message: 'internal error; the fault is ours and it was logged', details: [] },
  });
}

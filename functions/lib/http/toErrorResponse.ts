import {
  AppError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors/AppError.ts';
import { type HttpResult, json } from './respond.ts';

/** The status of each error class: the one place where HTTP status codes for errors are chosen. */
function statusOf(error: AppError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  return 500;
}

/** Shapes any error as `{error: {code, message, details}}`; our own faults never show their insides. */
export function toErrorResponse(error: unknown): HttpResult {
  if (error instanceof AppError) {
    const status = statusOf(error);
    if (status < 500) {
      const details = error instanceof ValidationError ? error.details : [];
      const headers: Record<string, string> =
        error instanceof MethodNotAllowedError ? { allow: error.allowed.join(', ') } : {};
      return json(status, { error: { code: error.code, message: error.message, details } }, headers);
    }
  }
  return json(500, {
    error: { code: 'internal_error', message: 'internal error; the fault is ours and it was logged', details: [] },
  });
}

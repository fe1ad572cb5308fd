import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ForbiddenError,
  IdempotencyConflictError,
  KmsSignerError,
  MethodNotAllowedError,
  NotFoundError,
  NotRebroadcastableError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../functions/lib/errors/errors.ts';
import { toErrorResponse } from '../../functions/lib/http/toErrorResponse.ts';

const bodyOf = (result: { body?: string | undefined }) => JSON.parse(result.body ?? 'null');

describe('toErrorResponse', () => {
  it.each([
    { error: new ValidationError('bad body', []), status: 400, code: 'validation_failed' },
    { error: new ForbiddenError('reader', 'admin'), status: 403, code: 'forbidden' },
    { error: new NotFoundError('no transaction tx-1', 'tx-1'), status: 404, code: 'not_found' },
    { error: new IdempotencyConflictError('tx-1'), status: 409, code: 'idempotency_key_reused' },
    { error: new NotRebroadcastableError('tx-1', 'pending'), status: 409, code: 'not_failed' },
    { error: new PayloadTooLargeError(1024), status: 413, code: 'payload_too_large' },
    { error: new UnsupportedMediaTypeError('text/plain'), status: 415, code: 'unsupported_media_type' },
  ])('answers $error.name with $status, its code and its message', ({ error, status, code }) => {
    // act
    const result = toErrorResponse(error);
    // assess
    expect(result.statusCode).toBe(status);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8' });
    expect(bodyOf(result)).toEqual({ error: { code, message: error.message, details: [] } });
  });

  it('names each wrong field of a validation error', () => {
    const details = [
      { path: 'to', message: 'not an address' },
      { path: 'value', message: 'not a number' },
    ];
    const result = toErrorResponse(new ValidationError('the body is not valid', details));
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error.details).toEqual(details);
  });

  it('answers 401 with the WWW-Authenticate challenge that fits: none sent, or one not valid', () => {
    const missing = toErrorResponse(new UnauthorizedError(false));
    const invalid = toErrorResponse(new UnauthorizedError(true));
    expect(missing.statusCode).toBe(401);
    expect(missing.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
    expect(invalid.statusCode).toBe(401);
    expect(invalid.headers).toMatchObject({ 'www-authenticate': 'Bearer error="invalid_token"' });
    expect(bodyOf(invalid).error.code).toBe('unauthorized');
  });

  it('answers 403 with an insufficient_scope challenge', () => {
    const result = toErrorResponse(new ForbiddenError('reader', 'admin'));
    expect(result.headers).toMatchObject({ 'www-authenticate': 'Bearer error="insufficient_scope"' });
  });

  it('answers 405 with the methods allowed', () => {
    const result = toErrorResponse(new MethodNotAllowedError(['GET', 'POST']));
    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET, POST' });
    expect(bodyOf(result).error.code).toBe('method_not_allowed');
  });

  it.each([
    { what: 'a plain Error', error: new Error('connect to table secret-table-name failed') },
    { what: 'a ConfigError', error: new ConfigError('SECRET_TOKEN_ARN is not an ARN: secret-value') },
    {
      what: 'an AppError of ours with no status',
      error: new KmsSignerError({ keyId: 'secret-key-id', operation: 'Sign', reason: 'rejected', detail: 'denied' }),
    },
    { what: 'a string', error: 'secret string thrown' },
    { what: 'undefined', error: undefined },
  ])('answers $what with a 500 that reveals nothing of it', ({ error }) => {
    const result = toErrorResponse(error);
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({
      error: { code: 'internal_error', message: 'internal error; the fault is ours and it was logged', details: [] },
    });
    expect(result.body).not.toMatch(/secret/);
    expect(result.headers).not.toHaveProperty('www-authenticate');
  });
});

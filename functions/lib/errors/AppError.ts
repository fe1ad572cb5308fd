/** Base of every error this service raises on purpose; subclasses carry fields, not just text. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type FieldIssue = { path: string; message: string };

/** The client sent something we cannot accept; `details` names each wrong field. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  readonly details: FieldIssue[];

  constructor(message: string, details: FieldIssue[]) {
    super('validation_failed', message);
    this.details = details;
  }
}

/** A transaction (or route) that does not exist. */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  readonly id: string | undefined;

  constructor(message: string, id?: string) {
    super('not_found', message);
    this.id = id;
  }
}

/** The request's method is not allowed on an existing route. */
export class MethodNotAllowedError extends AppError {
  override name = 'MethodNotAllowedError';
  readonly allowed: string[];

  constructor(allowed: string[]) {
    super('method_not_allowed', `method not allowed; use ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
}

/** A body that is not JSON. */
export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';

  constructor(contentType: string | undefined) {
    super(
      'unsupported_media_type',
      `the body must be JSON (Content-Type: application/json), not ${contentType ?? 'unspecified'}`,
    );
  }
}

/** A body larger than the API accepts. */
export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super('payload_too_large', `the body must be at most ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/** No bearer token, or one that matches no known token; `given` says whether one was sent at all. */
export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  readonly given: boolean;

  constructor(given: boolean) {
    super(
      'unauthorized',
      given
        ? 'the bearer token is not valid'
        : 'this route needs a token: send the header Authorization: Bearer <token>',
    );
    this.given = given;
  }
}

/** A valid token whose role may not use this route. */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  readonly role: string;
  readonly needed: string;

  constructor(role: string, needed: string) {
    super('forbidden', `the ${role} role may not use this route; it needs the ${needed} role`);
    this.role = role;
    this.needed = needed;
  }
}

/** An `Idempotency-Key` already used, within its lifetime, for a different request. */
export class IdempotencyConflictError extends AppError {
  override name = 'IdempotencyConflictError';
  readonly transactionId: string;

  constructor(transactionId: string) {
    super(
      'idempotency_key_reused',
      `this Idempotency-Key was already used for a different request (transaction ${transactionId}); use a new key for a new request`,
    );
    this.transactionId = transactionId;
  }
}

/** A rebroadcast of a transaction that has not failed: only a failed one may be sent again. */
export class NotRebroadcastableError extends AppError {
  override name = 'NotRebroadcastableError';
  readonly id: string;
  readonly status: string;

  constructor(id: string, status: string) {
    super(
      'not_failed',
      `transaction ${id} is ${status}: only a failed transaction can be rebroadcast${status === 'success' ? '' : '; wait for its outcome'}`,
    );
    this.id = id;
    this.status = status;
  }
}

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

// Every error this service raises on purpose, in one place and on one base (as Powertools keeps its
// errors in one errors.ts). SDK and RPC errors are translated into these at the boundary.

/** Base of every error this service raises on purpose; subclasses carry fields, not just text. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;
  /** True when trying the same thing again later can succeed (throttling, an outage); false when it cannot. */
  readonly transient: boolean;

  constructor(code: string, message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.transient = options?.transient ?? false;
  }
}

/** True for an error that says "not now" rather than "never" (KMS throttling, for one). */
export function isTransient(error: unknown): boolean {
  return error instanceof AppError && error.transient;
}

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends AppError {
  override name = 'ConfigError';

  constructor(message: string) {
    super('config_invalid', message);
  }
}

/**
 * The service is deployed but not configured yet (its chains secret holds no RPC URLs): it takes no
 * transaction until the operator fills it. A 503: the same request succeeds once it is configured.
 */
export class NotConfiguredError extends AppError {
  override name = 'NotConfiguredError';

  constructor() {
    super(
      'not_configured',
      'the service is not configured yet: it takes no transaction until its operator sets it up (GET /admin/health says what is missing)',
      { transient: true },
    );
  }
}

export type FieldIssue = { path: string; message: string };

/**
 * At most this many issues are listed in one ValidationError: a 128 KiB body of 10 000 unknown keys
 * was answered with half a megabyte. The message says how many more there were.
 */
export const maxListedIssues = 20;

/** The client sent something we cannot accept; `details` names each wrong field, up to `maxListedIssues`. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  readonly details: FieldIssue[];
  /** How many issues there were beyond those in `details`. */
  readonly unlisted: number;

  constructor(message: string, details: FieldIssue[]) {
    const unlisted = Math.max(0, details.length - maxListedIssues);
    const more = `and ${unlisted} more ${unlisted === 1 ? 'issue' : 'issues'}, not listed: at most ${maxListedIssues} are`;
    super('validation_failed', unlisted === 0 ? message : `${message} (${more})`);
    this.details = details.slice(0, maxListedIssues);
    this.unlisted = unlisted;
  }

  /** A ValidationError whose message names the fields it lists, each once: `${what}: check to, value`. */
  static naming(what: string, details: FieldIssue[]): ValidationError {
    const fields = new Set(details.slice(0, maxListedIssues).map((d) => d.path));
    return new ValidationError(`${what}: check ${[...fields].join(', ')}`, details);
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

/** A body sent compressed or otherwise encoded (`Content-Encoding` other than identity): we read it only as sent. */
export class UnsupportedContentEncodingError extends AppError {
  override name = 'UnsupportedContentEncodingError';
  readonly encoding: string;

  constructor(encoding: string) {
    super(
      'unsupported_content_encoding',
      `Content-Encoding ${encoding} is not accepted: send the JSON body as is, without Content-Encoding (or with identity)`,
    );
    this.encoding = encoding;
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
      `transaction ${id} is ${status}: only a failed transaction can be rebroadcast${['confirmed', 'reverted'].includes(status) ? '' : '; wait for its outcome'}`,
    );
    this.id = id;
    this.status = status;
  }
}

/** A cancel of a transaction already in a block, or already ended another way: its outcome stands. */
export class NotCancelableError extends AppError {
  override name = 'NotCancelableError';
  readonly id: string;
  readonly status: string;

  constructor(id: string, status: string, detail: string) {
    super('not_cancelable', `transaction ${id} is ${status}: ${detail}; a cancel can no longer replace it`);
    this.id = id;
    this.status = status;
  }
}

/** Sending to a queue failed for one message. */
export class QueueSendError extends AppError {
  override name = 'QueueSendError';
  readonly queueUrl: string;

  constructor(queueUrl: string, message: string, options?: { cause?: unknown }) {
    super('queue_send_failed', `could not send to ${queueUrl}: ${message}`, { ...options, transient: true });
    this.queueUrl = queueUrl;
  }
}

/** Bytes that are not the DER structure we expected; `detail` says which part is wrong. */
export class MalformedDerError extends AppError {
  override name = 'MalformedDerError';
  readonly detail: string;

  constructor(what: string, detail: string) {
    super('malformed_der', `malformed DER ${what}: ${detail}`);
    this.detail = detail;
  }
}

/** A chain id the service was not configured for. */
export class UnknownChainError extends AppError {
  override name = 'UnknownChainError';
  readonly chainId: number;

  constructor(chainId: number) {
    super('unknown_chain', `chain ${chainId} is not configured`);
    this.chainId = chainId;
  }
}

/** Another worker holds the signing claim; the message comes back after its visibility timeout. */
export class SigningInProgressError extends AppError {
  override name = 'SigningInProgressError';
  readonly id: string;

  constructor(id: string) {
    super('signing_in_progress', `transaction ${id} is being signed by another worker`);
    this.id = id;
  }
}

/** The signature recovers to neither parity's address: it was not made by the key we think it was. */
export class UnrecoverableSignatureError extends AppError {
  override name = 'UnrecoverableSignatureError';

  constructor(message: string) {
    super('unrecoverable_signature', message);
  }
}

/**
 * Why a KMS call did not give us a usable key or signature:
 * - throttled: KMS refused for rate (transient)
 * - unavailable: KMS or the network failed on its side (transient)
 * - rejected: access denied, key disabled, deleted or not found (permanent until an operator acts)
 * - wrong_key_spec: the key is not an `ECC_SECG_P256K1` `SIGN_VERIFY` key (permanent)
 * - malformed_response: KMS returned bytes we cannot read (permanent)
 * - not_our_signature: the signature does not recover to the key's address (permanent)
 */
export type KmsFailure =
  | 'throttled'
  | 'unavailable'
  | 'rejected'
  | 'wrong_key_spec'
  | 'malformed_response'
  | 'not_our_signature';

const transientFailures: ReadonlySet<KmsFailure> = new Set(['throttled', 'unavailable']);

/** A KMS operation of the signer failed; `transient` says whether trying again later can help. */
export class KmsSignerError extends AppError {
  override name = 'KmsSignerError';
  readonly keyId: string;
  readonly operation: 'GetPublicKey' | 'Sign';
  readonly reason: KmsFailure;

  constructor(
    fields: { keyId: string; operation: 'GetPublicKey' | 'Sign'; reason: KmsFailure; detail: string },
    options?: { cause?: unknown },
  ) {
    const transient = transientFailures.has(fields.reason);
    super(
      `kms_${fields.reason}`,
      `KMS ${fields.operation} with key ${fields.keyId} failed (${fields.reason.replaceAll('_', ' ')}): ${fields.detail}` +
        (transient ? '; transient, it will be tried again' : ''),
      { ...options, transient },
    );
    this.keyId = fields.keyId;
    this.operation = fields.operation;
    this.reason = fields.reason;
  }
}

/** A signer holds as many unmined transactions on a chain as it may (MAX_IN_FLIGHT_PER_SIGNER): it takes no nonce now. */
export class SignerFullError extends AppError {
  override name = 'SignerFullError';
  readonly from: string;

  constructor(chainId: number, from: string, limit: number) {
    super(
      'signer_full',
      `signer ${from} holds its most unmined transactions on chain ${chainId} (its nonces stop below ${limit})`,
      {
        transient: true,
      },
    );
    this.from = from;
  }
}

/**
 * A transaction whose worst-case cost (value plus gas times max fee) is more than what its signer (or
 * every signer of the pool) holds once the open transactions' own worst cases are set aside.
 */
export class InsufficientBalanceError extends AppError {
  override name = 'InsufficientBalanceError';
}

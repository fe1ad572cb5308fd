import { AppError } from '../errors/AppError.ts';

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
  readonly transient: boolean;

  constructor(
    fields: { keyId: string; operation: 'GetPublicKey' | 'Sign'; reason: KmsFailure; detail: string },
    options?: { cause?: unknown },
  ) {
    const transient = transientFailures.has(fields.reason);
    super(
      `kms_${fields.reason}`,
      `KMS ${fields.operation} with key ${fields.keyId} failed (${fields.reason.replaceAll('_', ' ')}): ${fields.detail}` +
        (transient ? '; transient, it will be tried again' : ''),
      options,
    );
    this.keyId = fields.keyId;
    this.operation = fields.operation;
    this.reason = fields.reason;
    this.transient = transient;
  }
}

import { ValidationError } from '../errors/errors.ts';

/** Longest `Idempotency-Key` accepted (a UUID is 36). */
export const maxIdempotencyKeyLength = 255;

/** The `Idempotency-Key` header's value, if any: 1 to 255 printable ASCII characters, else a 400. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = header.trim();
  if (key.length === 0 || key.length > maxIdempotencyKeyLength || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ValidationError('the Idempotency-Key header is invalid', [
      {
        path: 'Idempotency-Key',
        message: `must be 1 to ${maxIdempotencyKeyLength} printable ASCII characters without spaces`,
      },
    ]);
  }
  return key;
}

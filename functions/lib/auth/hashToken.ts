import { createHmac } from 'node:crypto';

/**
 * A token's keyed hash, HMAC-SHA256 under `hashKey`, in lowercase hex: what the token secret holds
 * instead of the token. Without the key (kept in the secret, never in the table) a hash reveals
 * nothing, even of a short token.
 */
export function hashToken(hashKey: string, token: string): string {
  return createHmac('sha256', hashKey).update(token, 'utf8').digest('hex');
}

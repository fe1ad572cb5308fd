import { createHash } from 'node:crypto';

/** The SHA-256 of a token, in lowercase hex: what the token secret holds instead of the token itself. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

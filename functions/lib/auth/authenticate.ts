import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors/errors.ts';
import { hashToken } from './hashToken.ts';
import type { Role } from './hasRole.ts';
import type { TokenSource } from './TokenSource.ts';

const bearer = /^Bearer +(\S+) *$/i;

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.match(bearer)?.[1];
}

/** True when `digest` equals one of `hashes`; every hash is compared, in constant time, whatever matches. */
function matchesAny(digest: Buffer, hashes: string[]): boolean {
  let found = false;
  for (const hash of hashes) {
    if (timingSafeEqual(digest, Buffer.from(hash, 'hex'))) found = true;
  }
  return found;
}

/**
 * The role of the bearer token in an `Authorization` header. The token is hashed first, so every
 * comparison is of two 32-byte digests; the token itself is never logged nor kept.
 */
export async function authenticate(source: TokenSource, authorization: string | undefined): Promise<Role> {
  const token = bearerToken(authorization);
  if (!token) throw new UnauthorizedError(authorization !== undefined && authorization.trim() !== '');
  const digest = Buffer.from(hashToken(token), 'hex');
  const hashes = await source.hashes();
  const admin = matchesAny(digest, hashes.admin);
  const client = matchesAny(digest, hashes.client);
  if (admin) return 'admin';
  if (client) return 'client';
  throw new UnauthorizedError(true);
}

import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors/errors.ts';
import type { Caller } from './Caller.ts';
import { hashToken } from './hashToken.ts';
import type { TokenEntry, TokenSource } from './TokenSource.ts';

const bearer = /^Bearer +(\S+) *$/i;

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.match(bearer)?.[1];
}

/** The entry whose hash is `digest`; every entry is compared, in constant time, whatever matches. */
function findEntry(digest: Buffer, entries: TokenEntry[]): TokenEntry | undefined {
  let found: TokenEntry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(digest, Buffer.from(entry.hash, 'hex')) && found === undefined) found = entry;
  }
  return found;
}

/**
 * The caller of an `Authorization` header: its client name and role. The token is hashed first (keyed),
 * so every comparison is of two 32-byte digests; the token itself is never logged nor kept.
 */
export async function authenticate(source: TokenSource, authorization: string | undefined): Promise<Caller> {
  const token = bearerToken(authorization);
  if (!token) throw new UnauthorizedError(authorization !== undefined && authorization.trim() !== '');
  const known = await source.tokens();
  const entry = findEntry(Buffer.from(hashToken(known.hashKey, token), 'hex'), known.entries);
  if (!entry) throw new UnauthorizedError(true);
  return { client: entry.client, role: entry.role };
}

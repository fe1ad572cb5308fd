import { randomBytes } from 'node:crypto';
import { hashToken } from './hashToken.ts';
import type { Role } from './hasRole.ts';
import type { TokenSource } from './TokenSource.ts';

/** A token from the local configuration, with the client it names. */
export type LocalToken = { client: string; role: Role; token: string };

/** Tokens from the configuration (`API_TOKEN`, `API_TOKENS`, `ADMIN_TOKEN`), hashed once under a key of this process. */
export function createLocalTokenSource(tokens: LocalToken[]): TokenSource {
  const hashKey = randomBytes(32).toString('hex');
  const known = {
    hashKey,
    entries: tokens.map((t) => ({ hash: hashToken(hashKey, t.token), client: t.client, role: t.role })),
  };
  return { tokens: async () => known };
}

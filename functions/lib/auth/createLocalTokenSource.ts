import { hashToken } from './hashToken.ts';
import type { TokenSource } from './TokenSource.ts';

/** Tokens from the configuration (`API_TOKEN`, `ADMIN_TOKEN`), hashed once. */
export function createLocalTokenSource(tokens: { client: string; admin: string }): TokenSource {
  const hashes = { client: [hashToken(tokens.client)], admin: [hashToken(tokens.admin)] };
  return { hashes: async () => hashes };
}

import * as z from 'zod';
import { clientNameSchema } from '../transactions/clientName.ts';
import { roles } from './hasRole.ts';

const hmacHex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be an HMAC-SHA256 in hex (64 digits)')
  .transform((s) => s.toLowerCase());

/** One known token, by its keyed hash: the client it belongs to and its role. */
export const tokenEntrySchema = z.strictObject({ hash: hmacHex, client: clientNameSchema, role: z.enum(roles) });
export type TokenEntry = z.infer<typeof tokenEntrySchema>;

/**
 * The token secret's JSON: the key the hashes are made with (the stack generates it) and one entry per
 * token. A client may have several tokens (rotation: add the new one, move over, remove the old one);
 * a name has one role.
 */
export const tokenSecretSchema = z
  .strictObject({
    hashKey: z.string().min(16, 'must be at least 16 characters'),
    tokens: z.array(tokenEntrySchema).default([]),
  })
  .superRefine((secret, ctx) => {
    const roleOf = new Map<string, string>();
    const hashes = new Set<string>();
    secret.tokens.forEach((t, i) => {
      if (hashes.has(t.hash)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'hash'], message: 'is listed twice' });
      hashes.add(t.hash);
      const role = roleOf.get(t.client);
      if (role !== undefined && role !== t.role) {
        ctx.addIssue({ code: 'custom', path: ['tokens', i, 'role'], message: `client ${t.client} has another role` });
      }
      roleOf.set(t.client, t.role);
    });
  });

/** The known tokens, as keyed hashes, and the key to hash a presented token with. */
export type KnownTokens = { hashKey: string; entries: TokenEntry[] };

/** Where the known tokens come from: the local configuration, or a Secrets Manager secret. */
export type TokenSource = {
  tokens(): Promise<KnownTokens>;
};

import * as z from 'zod';

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 hash in hex')
  .transform((s) => s.toLowerCase());

/** The token secret's JSON: the SHA-256 hashes of the tokens of each role, so rotation is adding then removing. */
export const tokenHashesSchema = z.object({
  client: z.array(sha256Hex).default([]),
  admin: z.array(sha256Hex).default([]),
});

export type TokenHashes = z.infer<typeof tokenHashesSchema>;

/** Where the known token hashes come from: the local configuration, or a Secrets Manager secret. */
export type TokenSource = {
  hashes(): Promise<TokenHashes>;
};

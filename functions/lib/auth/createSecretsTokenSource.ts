import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../errors/errors.ts';
import { type KnownTokens, type TokenSource, tokenSecretSchema } from './TokenSource.ts';

export type SecretsTokenSourceOptions = {
  /** How long one read of the secret is trusted; a rotation takes effect within this time. */
  cacheMs?: number;
  now?: () => number;
};

/**
 * Known tokens from a Secrets Manager secret `{"hashKey": "...", "tokens": [{"hash", "client", "role"}]}`, read at most once per
 * `cacheMs` (5 minutes) however many requests arrive; a failed read is not cached, so it fails closed.
 */
export function createSecretsTokenSource(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
  options: SecretsTokenSourceOptions = {},
): TokenSource {
  const cacheMs = options.cacheMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { known: KnownTokens; until: number } | undefined;
  let reading: Promise<KnownTokens> | undefined;

  async function read(): Promise<KnownTokens> {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    let json: unknown;
    try {
      json = JSON.parse(out.SecretString ?? '');
    } catch {
      throw new ConfigError(`the token secret ${secretId} is not JSON`);
    }
    const parsed = tokenSecretSchema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new ConfigError(`the token secret ${secretId} is malformed at ${where}`);
    }
    const known = { hashKey: parsed.data.hashKey, entries: parsed.data.tokens };
    cached = { known, until: now() + cacheMs };
    return known;
  }

  return {
    async tokens() {
      if (cached && now() < cached.until) return cached.known;
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}

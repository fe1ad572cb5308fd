import * as z from 'zod';
import { type Config, required } from '../config/loadConfig.ts';
import { ConfigError } from '../errors/errors.ts';

/** Reads a secret's string by id or ARN; undefined when it holds no string. */
export type ReadSecret = (secretId: string) => Promise<string | undefined>;

const chainsSchema = z.record(
  z.string().regex(/^[1-9][0-9]*$/),
  z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
);

/**
 * The chains secret does not hold what the service needs yet: a fresh stack's placeholder (not JSON), no
 * URL for CHAIN_ID, or a value the operator put wrong. The service starts *unconfigured* on it (health
 * 503 saying this message, no transaction taken) instead of failing every cold start. The message names
 * the secret and the fix, never its value.
 */
export class ChainsSecretUnfilledError extends ConfigError {
  override name = 'ChainsSecretUnfilledError';
}

/** Without a chains secret: `RPC_URL` serves `CHAIN_ID`, as the local runner and the tests configure it. */
export function localRpcUrls(config: Config): Record<number, string> {
  return { [config.CHAIN_ID]: required(config, 'RPC_URL') };
}

/**
 * The RPC URL of each configured chain. On AWS they come from the secret `CHAINS_SECRET_ARN`
 * (`{"<chain id>": "<rpc url>"}`, read once at cold start) because provider URLs carry API keys;
 * locally `RPC_URL` serves `CHAIN_ID`. Errors name the chains and keys, never a URL.
 */
export async function resolveRpcUrls(config: Config, readSecret: ReadSecret): Promise<Record<number, string>> {
  const secretId = config.CHAINS_SECRET_ARN;
  if (!secretId) return localRpcUrls(config);
  const text = await readSecret(secretId);
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    throw new ChainsSecretUnfilledError(
      `CHAINS_SECRET_ARN: the secret ${secretId} holds no RPC URLs yet (not JSON like {"${config.CHAIN_ID}": "https://..."}); put them with ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '{"${config.CHAIN_ID}":"https://..."}'`,
    );
  }
  const parsed = chainsSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.code === 'invalid_key' ? 'must be a chain id' : i.message}`)
      .join('; ');
    throw new ChainsSecretUnfilledError(`CHAINS_SECRET_ARN: the secret ${secretId} is malformed (${where})`);
  }
  const urls: Record<number, string> = {};
  for (const [chainId, url] of Object.entries(parsed.data)) urls[Number(chainId)] = url;
  if (!(config.CHAIN_ID in urls)) {
    throw new ChainsSecretUnfilledError(
      `CHAINS_SECRET_ARN: the secret ${secretId} has no RPC URL for CHAIN_ID ${config.CHAIN_ID}; put one with ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '{"${config.CHAIN_ID}":"https://..."}'`,
    );
  }
  return urls;
}

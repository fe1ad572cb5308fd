import * as z from 'zod';
import { type Config, maxRpcUrlsPerChain, rpcUrl } from '../config/loadConfig.ts';
import { ConfigError } from '../errors/errors.ts';

/** Each configured chain's RPC URLs by chain id, in the order they are asked. */
export type RpcUrls = Record<number, readonly string[]>;

/** Reads a secret's string by id or ARN; undefined when it holds no string. */
export type ReadSecret = (secretId: string) => Promise<string | undefined>;

const chainsSchema = z.record(
  z.string().regex(/^[1-9][0-9]*$/),
  // One URL is a list of one.
  z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(rpcUrl)
      .min(1, 'must list at least one URL')
      .max(maxRpcUrlsPerChain, `must list at most ${maxRpcUrlsPerChain} URLs`),
  ),
);

/**
 * Where an issue is: `1` for the URL of chain 1, `1[2]` for the third of its list, and a key that is not a
 * chain id by its place only (`key 2`): an operator who swapped key and value would have a URL with its
 * API key echoed.
 */
function issuePath(issue: z.core.$ZodIssue, json: unknown): string {
  const [chain, index] = issue.path;
  if (chain === undefined) return '(root)';
  const record = json as Record<string, unknown>;
  if (issue.code === 'invalid_key') return `key ${Object.keys(record).indexOf(String(chain)) + 1}`;
  const listed = Array.isArray(record[String(chain)]);
  return listed && index !== undefined ? `${String(chain)}[${String(index)}]` : String(chain);
}

/**
 * The chains secret does not hold what the service needs yet: a fresh stack's placeholder (not JSON), no
 * URL for CHAIN_ID, or a value the operator put wrong. The service starts *unconfigured* on it (health
 * 503 saying this message, no transaction taken) instead of failing every cold start. The message names
 * the secret and the fix, never its value.
 */
export class ChainsSecretUnfilledError extends ConfigError {
  override name = 'ChainsSecretUnfilledError';
}

/** Without a chains secret: `RPC_URL` (one URL or several) serves `CHAIN_ID`, as the local runner and the tests configure it. */
export function localRpcUrls(config: Config): RpcUrls {
  if (config.RPC_URL.length === 0) throw new ConfigError('RPC_URL is required');
  return { [config.CHAIN_ID]: config.RPC_URL };
}

/**
 * The RPC URLs of each configured chain. On AWS they come from the secret `CHAINS_SECRET_ARN`
 * (`{"<chain id>": "<rpc url>"}` or `{"<chain id>": ["<first>", "<second>"]}`, read once at cold start)
 * because provider URLs carry API keys;
 * locally `RPC_URL` serves `CHAIN_ID`. Errors name the chains and keys, never a URL.
 */
export async function resolveRpcUrls(config: Config, readSecret: ReadSecret): Promise<RpcUrls> {
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
      .map((i) => `${issuePath(i, json)}: ${i.code === 'invalid_key' ? 'must be a chain id' : i.message}`)
      .join('; ');
    throw new ChainsSecretUnfilledError(`CHAINS_SECRET_ARN: the secret ${secretId} is malformed (${where})`);
  }
  const urls: Record<number, string[]> = {};
  for (const [chainId, list] of Object.entries(parsed.data)) urls[Number(chainId)] = list;
  if (!(config.CHAIN_ID in urls)) {
    throw new ChainsSecretUnfilledError(
      `CHAINS_SECRET_ARN: the secret ${secretId} has no RPC URL for CHAIN_ID ${config.CHAIN_ID}; put one with ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '{"${config.CHAIN_ID}":"https://..."}'`,
    );
  }
  return urls;
}

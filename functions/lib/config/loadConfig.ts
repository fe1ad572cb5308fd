import * as z from 'zod';
import { ConfigError } from '../errors/errors.ts';
import { clientNameSchema, localAdminName } from '../transactions/clientName.ts';

/** Anvil's first dev account: a public, well-known test key, only ever used against a local chain. */
export const anvilDevKey = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/**
 * A signing lease where nothing sets SIGNING_LEASE_SECONDS: the local runner and the tests. The stack
 * sets the broadcaster's timeout; infra/topology.ts (`signingLease`) says why the two differ.
 */
export const localSigningLeaseSeconds = 30;

/** The local API tokens when none are configured: printed in the ready banner, refused on Lambda. */
export const devTokens = { client: 'dev-client-token', admin: 'dev-admin-token' } as const;

/** The local runner's webhook secret when WEBHOOK_SECRET is unset: printed in the ready banner, refused on Lambda. */
export const devWebhookSecret = `whsec_${Buffer.from('local-dev-webhook-secret-do-not-deploy').toString('base64')}`;

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex private key');

/** A comma-separated list, each item as `item` says, none twice; empty when unset. */
function listOf(item: z.ZodType<string>, what: string) {
  return z
    .string()
    .optional()
    .transform((text, ctx): string[] => {
      const items = (text ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      items.forEach((value, i) => {
        const parsed = item.safeParse(value);
        // The value itself is never echoed: it may be a private key.
        if (!parsed.success)
          ctx.addIssue({ code: 'custom', message: `item ${i + 1} ${parsed.error.issues[0]?.message}` });
      });
      if (new Set(items.map((t) => t.toLowerCase())).size !== items.length) {
        ctx.addIssue({ code: 'custom', message: `lists one of its ${what} twice` });
      }
      return items;
    });
}
/** An RPC provider's URL: http(s) only (the chains secret's values too). */
export const rpcUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/** The most RPC URLs one chain takes: each is asked in turn when the ones before it fail. */
export const maxRpcUrlsPerChain = 4;

/** `true`/`false` (or `1`/`0`); unset is `false`. */
const flag = () =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true' || v === '1');

/** A Standard Webhooks secret: `whsec_` and the base64 of at least 24 random bytes. */
const webhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ followed by base64')
  .refine((s) => Buffer.from(s.slice('whsec_'.length), 'base64').length >= 24, 'must hold at least 24 bytes');

/** WEBHOOK_SECRET: one secret, or two (space- or comma-separated) while a rotation runs; the first signs first. */
export const webhookSecretsSchema = z
  .string()
  .optional()
  .transform((text, ctx): string[] => {
    const items = (text ?? '').split(/[\s,]+/).filter(Boolean);
    if (items.length > 2) ctx.addIssue({ code: 'custom', message: 'holds at most two secrets (old and new)' });
    items.forEach((value, i) => {
      const parsed = webhookSecret.safeParse(value);
      // The value itself is never echoed: it is a secret.
      if (!parsed.success)
        ctx.addIssue({ code: 'custom', message: `secret ${i + 1} ${parsed.error.issues[0]?.message}` });
    });
    return items;
  });

const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal('').transform(() => undefined));

const schema = z
  .object({
    CHAIN_ID: intFrom(1, 2 ** 53 - 1).default(31337),
    // The chain's RPC URL, or several separated by commas: each asked in turn when the ones before it fail.
    RPC_URL: listOf(rpcUrl, 'URLs').refine((urls) => urls.length <= maxRpcUrlsPerChain, {
      message: `takes at most ${maxRpcUrlsPerChain} URLs`,
    }),
    AWS_ENDPOINT_URL: optionalUrl,
    AWS_ENDPOINT_URL_DYNAMODB: optionalUrl,
    AWS_ENDPOINT_URL_SQS: optionalUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: optionalUrl,
    AWS_ENDPOINT_URL_KMS: optionalUrl,
    AWS_REGION: z.string().min(1).default('us-east-1'),
    TABLE_NAME: z.string().min(3).default('transactions'),
    // Emulators' queue URLs are not always WHATWG URLs (fauxqs: sqs.<region>.<host>); the SDK only needs them as ids.
    REQUESTS_QUEUE_URL: z.string().min(1).optional(),
    RETRY_QUEUE_URL: z.string().min(1).optional(),
    RESPONSES_QUEUE_URL: z.string().min(1).optional(),
    TRACKING_QUEUE_URL: z.string().min(1).optional(),
    NOTIFICATIONS_QUEUE_URL: z.string().min(1).optional(),
    // Where the notifier puts a webhook event whose every delivery failed.
    NOTIFICATIONS_DLQ_URL: z.string().min(1).optional(),
    // The webhook signing secret(s), `whsec_...` (two during a rotation). On AWS, WEBHOOK_SECRET_ARN names a
    // Secrets Manager secret holding the same text instead.
    WEBHOOK_SECRET: webhookSecretsSchema,
    WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
    // Callback URLs may resolve to loopback, private, link-local... addresses (the local stack's default), and be http.
    WEBHOOK_ALLOW_PRIVATE: flag(),
    WEBHOOK_ALLOW_HTTP: flag(),
    // A client's callback URL when its request names none: `client=url,client=url`.
    CALLBACK_URLS: z
      .string()
      .optional()
      .transform((v, ctx) => parseCallbackUrls(v ?? '', ctx)),
    // The operator's webhook: `signer.low_balance` events go there.
    OPERATOR_WEBHOOK_URL: optionalUrl,
    // Deliveries of one event, and the first backoff (doubling, at most 900 s): the defaults span about an hour.
    WEBHOOK_MAX_ATTEMPTS: intFrom(1, 50).default(11),
    WEBHOOK_RETRY_BASE_SECONDS: intFrom(0, 900).default(10),
    // The chain's depth: `2` for every chain, or per chain `1:12,8453:10`; a chain named nowhere gets its default.
    // Or `finalized` (per chain, `1:finalized`): final once the node's `finalized` block holds it.
    CONFIRMATIONS: depthPerChain(),
    // Blocks a transaction may wait unmined, while the market's fees are above its own, before it is re-priced.
    STUCK_AFTER_BLOCKS: perChain(defaultStuckAfterBlocks, { min: 1, max: 1000, unit: 'blocks' }),
    // The most a re-price (or a cancel) may offer as max fee per gas, in gwei: `500`, or per chain `1:300,137:3000`.
    FEE_CAP_GWEI: perChain(() => defaultFeeCapGwei, { min: 1, max: 1_000_000, unit: 'gwei' }),
    // Seconds between two looks of the tracker at one transaction, about a block: `2`, or per chain `1:12,137:2`.
    TRACK_INTERVAL_SECONDS: perChain(defaultTrackIntervalSeconds, { min: 1, max: 900, unit: 'seconds' }),
    // The local signer pool: SIGNER_PRIVATE_KEYS (comma-separated), or the one key SIGNER_PRIVATE_KEY; default anvil's first.
    SIGNER_PRIVATE_KEY: privateKey.optional(),
    SIGNER_PRIVATE_KEYS: listOf(privateKey, 'private keys'),
    // The signer pool on AWS: KMS keys (ids, aliases or ARNs), KMS_KEY_IDS comma-separated, or the one KMS_KEY_ID.
    KMS_KEY_ID: z.string().min(1).optional(),
    KMS_KEY_IDS: listOf(z.string().min(1), 'KMS key ids'),
    // Unmined transactions one signer may hold on a chain before it takes no more: `16`, or per chain `1:16,137:64`.
    MAX_IN_FLIGHT_PER_SIGNER: perChain(() => defaultMaxInFlight, { min: 1, max: 100_000, unit: 'transactions' }),
    // A signer whose balance is below this (wei) on a chain is unhealthy there: `0` (off), or per chain `1:50000000000000000`.
    LOW_BALANCE_WEI: perChainWei(),
    // POST /transactions refuses (422) what its signer cannot pay, open transactions set aside: `on`, or `off`.
    BALANCE_GUARD: z.enum(['on', 'off']).default('on'),
    // How long a signer's balance, read from the chain, is used before it is read again.
    BALANCE_CACHE_MS: intFrom(0, 600_000).default(5000),
    // Set only by the local runner and the tests: without KMS_KEY_ID the runtime refuses to start unless it is true.
    LOCAL_SIGNER_ALLOWED: flag(),
    // A Secrets Manager secret {"<chain id>": "<rpc url>", ...}: RPC URLs carry API keys, so never in the template.
    CHAINS_SECRET_ARN: z.string().min(1).optional(),
    MAX_ATTEMPTS: intFrom(1, 20).default(3),
    RETRY_BASE_SECONDS: intFrom(0, 900).default(2),
    RETRY_CAP_SECONDS: intFrom(0, 900).default(60),
    // What fails before anything is sent (fee data, gas estimate, nonce seed, signing) is retried this long
    // from the request's creation without spending a broadcast attempt; then it fails with the reason.
    PRESEND_BUDGET_SECONDS: intFrom(1, 3600).default(120),
    STALE_AFTER_SECONDS: intFrom(1, 86_400).default(60),
    // A signer with nonces taken but unmined whose mined nonce has not moved this long is stalled (SignerStalled).
    STALL_AFTER_SECONDS: intFrom(60, 86_400).default(600),
    SIGNING_LEASE_SECONDS: intFrom(1, 900).default(localSigningLeaseSeconds),
    BROADCAST_WAIT_MS: intFrom(0, 25_000).default(5000),
    // The longest wait a client may ask for with `Prefer: wait=N`: the api's concurrency is about rate × wait.
    MAX_WAIT_MS: intFrom(0, 25_000).default(25_000),
    RPC_TIMEOUT_MS: intFrom(100, 120_000).default(10_000),
    // A JSON-RPC call that met a provider's 5xx, 429 or timeout on every URL is asked again this many times
    // (after 100 ms, then 200, ...), all within RPC_BUDGET_MS, before the failure is the caller's.
    RPC_RETRIES: intFrom(0, 5).default(2),
    RPC_BUDGET_MS: intFrom(100, 50_000).default(20_000),
    FEE_CACHE_MS: intFrom(0, 60_000).default(1000),
    LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('INFO'),
    // local: the api checks bearer tokens itself; authorizer: API Gateway's Lambda authorizer did, and passes the role.
    AUTH_MODE: z.enum(['local', 'authorizer']).default('local'),
    // The local client tokens: API_TOKEN is client `default`; API_TOKENS adds named ones, `name:token,name:token`.
    API_TOKEN: z.string().min(8, 'must be at least 8 characters').default(devTokens.client),
    API_TOKENS: z
      .string()
      .optional()
      .transform((v, ctx) => parseNamedTokens(v ?? '', ctx)),
    ADMIN_TOKEN: z.string().min(8, 'must be at least 8 characters').default(devTokens.admin),
    // A Secrets Manager secret {"hashKey": "...", "tokens": [{"hash", "client", "role"}]}; when set it replaces the local tokens.
    TOKEN_SECRET_ARN: z.string().min(1).optional(),
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(), // set by Lambda itself: refuses the dev tokens there
  })
  .refine((c) => !(c.SIGNER_PRIVATE_KEY && c.SIGNER_PRIVATE_KEYS.length > 0), {
    path: ['SIGNER_PRIVATE_KEYS'],
    message: 'set SIGNER_PRIVATE_KEYS or SIGNER_PRIVATE_KEY, not both',
  })
  .refine((c) => !(c.KMS_KEY_ID && c.KMS_KEY_IDS.length > 0), {
    path: ['KMS_KEY_IDS'],
    message: 'set KMS_KEY_IDS or KMS_KEY_ID, not both',
  })
  .refine((c) => !(c.WEBHOOK_SECRET.length > 0 && c.WEBHOOK_SECRET_ARN), {
    path: ['WEBHOOK_SECRET_ARN'],
    message: 'set WEBHOOK_SECRET or WEBHOOK_SECRET_ARN, not both',
  })
  .refine((c) => !(c.AWS_LAMBDA_FUNCTION_NAME && c.WEBHOOK_SECRET.includes(devWebhookSecret)), {
    path: ['WEBHOOK_SECRET'],
    message: 'is the local development secret: use WEBHOOK_SECRET_ARN on Lambda',
  })
  .refine((c) => c.BROADCAST_WAIT_MS <= c.MAX_WAIT_MS, {
    path: ['BROADCAST_WAIT_MS'],
    message: 'must not exceed MAX_WAIT_MS',
  })
  .refine((c) => c.RETRY_BASE_SECONDS <= c.RETRY_CAP_SECONDS, {
    path: ['RETRY_BASE_SECONDS'],
    message: 'must not exceed RETRY_CAP_SECONDS',
  })
  .refine((c) => c.API_TOKEN !== c.ADMIN_TOKEN, {
    path: ['ADMIN_TOKEN'],
    message: 'must differ from API_TOKEN',
  })
  .refine((c) => c.API_TOKENS.every((t) => t.token !== c.API_TOKEN && t.token !== c.ADMIN_TOKEN), {
    path: ['API_TOKENS'],
    message: 'a token must differ from API_TOKEN and ADMIN_TOKEN',
  });

/** A chain's depth where CONFIRMATIONS does not name it: a local dev chain 1, any other 2. */
export function defaultConfirmations(chainId: number): number {
  return isLocalChain(chainId) ? 1 : 2;
}

/** Blocks unmined before a re-price where STUCK_AFTER_BLOCKS does not name the chain: a local chain 3, any other 5. */
export function defaultStuckAfterBlocks(chainId: number): number {
  return isLocalChain(chainId) ? 3 : 5;
}

/** About a block, where TRACK_INTERVAL_SECONDS does not name the chain: Ethereum's and its testnets' 12 s, BNB's 3, else 2. */
export function defaultTrackIntervalSeconds(chainId: number): number {
  return ({ 1: 12, 11155111: 12, 17000: 12, 56: 3 } as Record<number, number>)[chainId] ?? 2;
}

/** The fee cap where FEE_CAP_GWEI does not name the chain. */
export const defaultFeeCapGwei = 1000;

/** Unmined transactions per signer where MAX_IN_FLIGHT_PER_SIGNER does not name the chain: geth's 16 executable slots per account. */
export const defaultMaxInFlight = 16;

const isLocalChain = (chainId: number) => chainId === 31337 || chainId === 1337;

/** A chain's depth: a number of confirmations, or `finalized` (the node's finalized block holds it). */
export type Depth = number | 'finalized';

/** CONFIRMATIONS: as `perChain`, where a value may also be `finalized`. */
function depthPerChain() {
  const numbers = perChain(defaultConfirmations, { min: 1, max: 1000, unit: 'blocks' });
  return z
    .string()
    .optional()
    .transform((text, ctx): ((chainId: number) => Depth) => {
      const trimmed = (text ?? '').trim();
      if (trimmed === 'finalized') return () => 'finalized';
      const finalized = new Set<number>();
      const rest = trimmed
        .split(',')
        .filter((pair) => {
          const m = /^\s*(\d+)\s*:\s*finalized\s*$/.exec(pair);
          if (m) finalized.add(Number(m[1]));
          return !m;
        })
        .join(',');
      const parsed = numbers.safeParse(rest === '' ? undefined : rest);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
        return defaultConfirmations;
      }
      const depthOf = parsed.data;
      return (chainId) => (finalized.has(chainId) ? 'finalized' : depthOf(chainId));
    });
}

/**
 * A setting per chain, as a function of the chain id: one number for every chain (`2`), or
 * `chain:value` pairs (`1:12,8453:10`) over `defaults`; each value a whole number from `min` to `max`.
 */
function perChain(defaults: (chainId: number) => number, bounds: { min: number; max: number; unit: string }) {
  const range = `${bounds.min} to ${bounds.max} ${bounds.unit}`;
  return perChainOf(defaults, range, (text) => {
    const n = Number(text);
    return n >= bounds.min && n <= bounds.max ? n : undefined;
  });
}

/** LOW_BALANCE_WEI: as `perChain`, in wei (a bigint, any size); 0, the default, watches nothing. */
function perChainWei() {
  return perChainOf(
    () => 0n,
    'a whole number of wei',
    (text) => BigInt(text),
  );
}

/** One value for every chain, or `chain:value` pairs over `defaults`; `parse` takes the digits of a value, undefined when out of range. */
function perChainOf<T>(defaults: (chainId: number) => T, range: string, parse: (digits: string) => T | undefined) {
  return z
    .string()
    .optional()
    .transform((text, ctx): ((chainId: number) => T) => {
      const trimmed = (text ?? '').trim();
      if (trimmed === '') return defaults;
      if (/^\d+$/.test(trimmed)) {
        const all = parse(trimmed);
        if (all === undefined) ctx.addIssue({ code: 'custom', message: `must be ${range}` });
        return () => all ?? defaults(0);
      }
      const values = new Map<number, T>();
      for (const pair of trimmed.split(',')) {
        const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair);
        const value = m ? parse(m[2] as string) : undefined;
        if (!m || value === undefined) {
          ctx.addIssue({ code: 'custom', message: `"${pair}" must be <chain id>:<${range}>` });
          continue;
        }
        values.set(Number(m[1]), value);
      }
      return (chainId) => values.get(chainId) ?? defaults(chainId);
    });
}

/**
 * `name:token,name:token` as named client tokens: names as clientNameSchema says (not `admin`, the
 * local admin's), tokens of at least 8 characters, each token once. One name may have several tokens.
 */
function parseNamedTokens(text: string, ctx: z.RefinementCtx): Array<{ client: string; token: string }> {
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const out: Array<{ client: string; token: string }> = [];
  for (const [i, pair] of pairs.entries()) {
    const at = pair.indexOf(':');
    const client = at < 0 ? '' : pair.slice(0, at);
    const token = at < 0 ? '' : pair.slice(at + 1);
    const name = clientNameSchema.safeParse(client);
    const problem = !name.success
      ? `the name of pair ${i + 1} ${name.error.issues[0]?.message ?? 'is invalid'} (write name:token)`
      : client === localAdminName
        ? `pair ${i + 1}: ${localAdminName} is the local admin's name`
        : token.length < 8
          ? `the token of pair ${i + 1} (${client}) must be at least 8 characters`
          : out.some((t) => t.token === token)
            ? `the token of pair ${i + 1} (${client}) is given twice`
            : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else out.push({ client, token });
  }
  return out;
}

/** `client=url,client=url` as each client's default callback URL (checked as a request's `callbackUrl` is, when used). */
function parseCallbackUrls(text: string, ctx: z.RefinementCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, pair] of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .entries()) {
    const at = pair.indexOf('=');
    const client = at < 0 ? '' : pair.slice(0, at).trim();
    const url = at < 0 ? '' : pair.slice(at + 1).trim();
    const name = clientNameSchema.safeParse(client);
    if (!name.success || !URL.canParse(url)) {
      ctx.addIssue({ code: 'custom', message: `pair ${i + 1} must be <client>=<url>` });
    } else if (client in out) {
      ctx.addIssue({ code: 'custom', message: `pair ${i + 1}: ${client} is given twice` });
    } else out[client] = url;
  }
  return out;
}

export type Config = z.infer<typeof schema>;

/**
 * Parses the handlers' configuration from the environment once; a wrong value throws a ConfigError
 * naming every bad variable. The local runner's own settings are in infra/local/runnerSettings.ts.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const levelFromEnv = env.LOG_LEVEL?.toUpperCase();
  const parsed = schema.safeParse({ ...env, LOG_LEVEL: levelFromEnv });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Reads a required value that the runtime (Lambda env or the local runner) must provide. */
export function required<K extends keyof Config>(config: Config, key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null) throw new ConfigError(`${String(key)} is required`);
  return value as NonNullable<Config[K]>;
}

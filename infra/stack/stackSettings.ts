import { z } from 'zod';
import { type Config, loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError } from '../../functions/lib/errors/errors.ts';
import { batchSize, type FunctionName, workers } from '../topology.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The most keys one stack's pool holds, created or imported. */
export const maxSignerKeys = 20;

/**
 * A KMS key's ARN, as `GetPublicKey` and an IAM policy's `Resource` take it: a key id (a UUID, or
 * `mrk-` and 32 hex digits for a multi-Region key), never an alias (an IAM grant on an alias ARN grants nothing).
 */
export const kmsKeyArn =
  /^arn:aws(?:-[a-z]+)*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/**
 * A yes/no stack property: `true` or `false`, as `-c key=true` (a string) or cdk.json's `context` (a boolean)
 * gives it. Not `z.coerce.boolean()`: that reads the string "false" as true.
 */
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' })
  .transform((v) => v === true || v === 'true');

const keyCount = `must be a whole number of keys, 1 to ${maxSignerKeys}`;

/** `-c signerKeyArns=arn1,arn2` (a string), or a list in cdk.json's `context`: the ARNs, in order. */
const keyArnList = z
  .union([z.string(), z.array(z.string())], { error: 'must be key ARNs, comma-separated' })
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((a) => a.trim()).filter((a) => a !== ''))
  .superRefine((arns, ctx) => {
    const say = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (arns.length === 0) say('names no key: give one ARN or more, comma-separated');
    if (arns.length > maxSignerKeys) say(`names ${arns.length} keys; at most ${maxSignerKeys}`);
    for (const arn of arns)
      if (!kmsKeyArn.test(arn))
        say(`"${arn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias will not do)`);
    const repeated = arns.filter((a, i) => arns.indexOf(a) !== i);
    if (repeated.length > 0) say(`names ${[...new Set(repeated)].join(', ')} more than once`);
  });

const schema = z
  .object({
    /** The CloudFormation stack's name: deploy one stack per environment (or per chain) with different names. */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
      .default('TxBroadcaster'),
    /** The chain transactions go to unless they name one; its RPC URL must be in the chains secret. */
    chainId: int(1, 2 ** 53 - 1).default(11_155_111),
    /** The worker pool: the requests mapping's `maxConcurrency` (the retry queue gets a quarter, at least 2). */
    workers: int(workers.min, workers.max).default(workers.default),
    /**
     * Reserve each queue consumer's concurrency (the sum of its mappings' `maxConcurrency`), so other
     * functions of the account cannot take the pool's share. Off by default: the mappings already bound the
     * pool without reserving anything, and a new account's quota (often 10) refuses any reservation,
     * failing CreateFunction and rolling the stack back.
     */
    reserveConcurrency: flag.default(false),
    /** Messages per invocation of the broadcaster and the updater. */
    batchSize: int(batchSize.min, batchSize.max).default(batchSize.default),
    /** `retain` keeps the table, secrets and logs when the stack is deleted; `destroy` removes them (test stacks). */
    retention: z.enum(['retain', 'destroy']).default('retain'),
    /** Where alarm notifications are mailed (confirm the subscription); without it, subscribe to the topic yourself. */
    alarmEmail: z.email().optional(),
    /** API Gateway stage throttling: steady requests per second, and the burst above it. */
    apiRateLimit: int(1, 10_000).default(50),
    apiBurstLimit: int(1, 5000).default(100),
    /** An alarm fires when the oldest request has waited this long for a worker. */
    oldestRequestAlarmSeconds: int(60, 86_400).default(300),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /**
     * The lifecycle's settings per chain, as the functions read them (`2`, or `1:12,8453:10`), given to
     * every function alike so the tracker and the broadcaster never disagree: CONFIRMATIONS,
     * STUCK_AFTER_BLOCKS, FEE_CAP_GWEI, TRACK_INTERVAL_SECONDS. Unset: each chain's default.
     */
    confirmations: z.string().optional(),
    stuckAfterBlocks: z.string().optional(),
    feeCapGwei: z.string().optional(),
    trackIntervalSeconds: z.string().optional(),
    /** LOW_BALANCE_WEI, per chain as the lifecycle settings (`0` off, `1:50000000000000000`), to every function alike. */
    lowBalanceWei: z.string().optional(),
    /** CALLBACK_URLS, the api's alone: each client's default callback URL, `client=https://...,client=https://...`. */
    callbackUrls: z.string().optional(),
    /** OPERATOR_WEBHOOK_URL, the sweep's and the notifier's: where `signer.low_balance` events go. */
    operatorWebhookUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /**
     * The signer pool: how many secp256k1 KMS keys the stack creates (default 1). The first keeps the
     * construct id `SignerKey` it always had, so a stack deployed with one key keeps it, and its address.
     */
    signerKeys: z.coerce
      .number({ error: keyCount })
      .int({ error: keyCount })
      .min(1, { error: keyCount })
      .max(maxSignerKeys, { error: keyCount })
      .optional(),
    /** Or: the ARNs of existing secp256k1 keys to sign with (comma-separated), instead of keys the stack creates. */
    signerKeyArns: keyArnList.optional(),
    logRetentionDays: z.coerce
      .number()
      .pipe(z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(90), z.literal(180), z.literal(365)]))
      .default(30),
  })
  .superRefine((settings, ctx) => {
    if (settings.signerKeys !== undefined && settings.signerKeyArns !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['signerKeys'],
        message: 'give signerKeys (keys the stack creates) or signerKeyArns (keys you have), not both',
      });
  });

/** The stack's properties, defaults filled. */
export type StackSettings = z.infer<typeof schema>;

/** The context keys the stack reads. */
export const settingKeys = Object.keys(schema.shape) as Array<keyof StackSettings>;

/** A stack property that cannot be used; the message names the context key (`-c key=value`). */
export class StackSettingsError extends ConfigError {
  override name = 'StackSettingsError';
}

/** Reads the stack's properties from CDK context (`npx cdk deploy -c workers=16`), with defaults. */
export function stackSettings(context: Record<string, unknown>): StackSettings {
  const parsed = schema.safeParse(context);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  -c ${i.path.join('.')}=...: ${i.message}`);
    throw new StackSettingsError(`invalid stack properties:\n${lines.join('\n')}`);
  }
  // Checked here with the functions' own parser, so a wrong value fails the synth, not a cold start.
  const env: Record<string, string> = {};
  for (const [, setting] of givenSettings(parsed.data)) env[setting.variable] = setting.value;
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    const key = (name: string) => Object.entries(functionSettings).find(([, s]) => s.variable === name)?.[0] ?? name;
    const message = error instanceof Error ? error.message : String(error);
    throw new StackSettingsError(message.replace(/^ {2}([A-Z_]+):/gm, (_m, name: string) => `  -c ${key(name)}=...:`));
  }
  // WEBHOOK_ALLOW_HTTP is never set on AWS: the notifier would refuse an http callback at every delivery.
  const plain = Object.entries(config.CALLBACK_URLS).filter(([, url]) => new URL(url).protocol !== 'https:');
  if (plain.length > 0)
    throw new StackSettingsError(
      `invalid stack properties:\n${plain.map(([client]) => `  -c callbackUrls=...: ${client}'s URL must be https`).join('\n')}`,
    );
  return parsed.data;
}

/** The signer pool the properties ask for: keys the stack creates, or the ARNs of keys it only uses. */
export type SignerPool = { create: number } | { use: string[] };

export function signerPool(settings: StackSettings): SignerPool {
  return settings.signerKeyArns ? { use: settings.signerKeyArns } : { create: settings.signerKeys ?? 1 };
}

/** Who gets a setting: every function alike, or only the functions named. */
type Recipients = 'every' | readonly FunctionName[];

/** The stack properties that are the functions' settings: the variable of each, and the functions that read it. */
const functionSettings = {
  // The lifecycle's per-chain settings go to every function alike, so the tracker and the broadcaster never disagree.
  confirmations: { variable: 'CONFIRMATIONS', to: 'every' },
  stuckAfterBlocks: { variable: 'STUCK_AFTER_BLOCKS', to: 'every' },
  feeCapGwei: { variable: 'FEE_CAP_GWEI', to: 'every' },
  trackIntervalSeconds: { variable: 'TRACK_INTERVAL_SECONDS', to: 'every' },
  // The broadcaster and the api's signers view judge a signer's health by it, the sweep alarms on it.
  lowBalanceWei: { variable: 'LOW_BALANCE_WEI', to: 'every' },
  // The api stores a request's callback URL, its client's default when the request names none.
  callbackUrls: { variable: 'CALLBACK_URLS', to: ['api'] },
  // The sweep sends the operator's events, the notifier delivers them.
  operatorWebhookUrl: { variable: 'OPERATOR_WEBHOOK_URL', to: ['sweep', 'notifier'] },
} as const satisfies Partial<Record<keyof StackSettings, { variable: string; to: Recipients }>>;

/** The function settings given, each with its value. */
function givenSettings(settings: StackSettings): Array<[Recipients, { variable: string; value: string }]> {
  return (Object.keys(functionSettings) as Array<keyof typeof functionSettings>).flatMap((key) => {
    const { variable, to } = functionSettings[key];
    const value = settings[key];
    return value === undefined ? [] : [[to, { variable, value }]];
  });
}

/** The settings function `fn` reads, as its environment: the lifecycle's, and those given to it alone. */
export function settingsEnvironment(settings: StackSettings, fn: FunctionName): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [to, { variable, value }] of givenSettings(settings))
    if (to === 'every' || to.includes(fn)) env[variable] = value;
  return env;
}

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
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
    /**
     * The chain transactions go to unless they name one; its RPC URL must be in the chains secret. No
     * default: a deploy that forgot it would send every such request to another chain.
     */
    chainId: int(1, 2 ** 53 - 1),
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
     * The longest a client may ask the api to wait for the outcome (`Prefer: wait=N`), in seconds: the api's
     * MAX_WAIT_MS. A waiting request holds its api invocation, so the api's concurrency is about request rate
     * × wait (50 requests a second waiting 25 s hold 1,250 invocations): lower it to fit the account's Lambda
     * quota. Below the api's default wait (BROADCAST_WAIT_MS, 5 s), that default comes down to it. At most
     * 25: API Gateway gives up on an integration at 30 s.
     */
    maxWait: int(0, 25).default(25),
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

/** The stack's properties, as a stage's settings file and CDK context (`-c key=value`) name them. */
export const settingKeys = Object.keys(schema.shape) as Array<keyof StackSettings>;

/** A stack property that cannot be used; the message names the key and where its value came from. */
export class StackSettingsError extends ConfigError {
  override name = 'StackSettingsError';
}

/** Where a refusal says a key's value came from, and the command it tells the operator to run. */
export type SettingsSource = {
  /** The key as the operator gave it: `-c workers=...` unless told otherwise. */
  name?: (key: string) => string;
  /** The command that writes a setting to the stage's file, as a refusal quotes it. */
  configure?: string;
};

/** Each property's default, for the properties that have one: what a deploy gets for a key nobody set. */
export const settingDefaults: Partial<Record<keyof StackSettings, unknown>> = Object.fromEntries(
  settingKeys.flatMap((key) => {
    const parsed = schema.shape[key].safeParse(undefined);
    return parsed.success && parsed.data !== undefined ? [[key, parsed.data]] : [];
  }),
);

/** The properties `given` leaves to their defaults, each with its default value. */
export function defaultedSettings(given: Record<string, unknown>): Array<[keyof StackSettings, unknown]> {
  return settingKeys.flatMap((key) =>
    given[key] === undefined && key in settingDefaults ? [[key, settingDefaults[key]]] : [],
  );
}

/** Reads the stack's properties (a stage's file with CDK context on top), with defaults, or refuses them. */
export function stackSettings(given: Record<string, unknown>, source: SettingsSource = {}): StackSettings {
  const name = source.name ?? ((key: string) => `-c ${key}=...`);
  if (given.chainId === undefined)
    throw new StackSettingsError(
      'invalid stack properties:\n' +
        '  chainId is not set: the chain a request goes to unless it names one (1 is Ethereum, 11155111 Sepolia).\n' +
        `  Write it to the stage's settings file, so that every deploy has it: ${source.configure ?? 'npm run configure --'} chainId=11155111`,
    );
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${name(i.path.join('.'))}: ${i.message}`);
    throw new StackSettingsError(`invalid stack properties:\n${lines.join('\n')}`);
  }
  // Checked here with the functions' own parser, so a wrong value fails the synth, not a cold start.
  const env: Record<string, string> = {};
  for (const [, variables] of givenSettings(parsed.data)) Object.assign(env, variables);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    const key = (variable: string) =>
      Object.entries(functionSettings).find(([, s]) => s.variable === variable)?.[0] ?? variable;
    const message = error instanceof Error ? error.message : String(error);
    throw new StackSettingsError(
      message.replace(/^ {2}([A-Z_]+):/gm, (_m, variable: string) => `  ${name(key(variable))}:`),
    );
  }
  // WEBHOOK_ALLOW_HTTP is never set on AWS: the notifier would refuse an http callback at every delivery.
  const plain = Object.entries(config.CALLBACK_URLS).filter(([, url]) => new URL(url).protocol !== 'https:');
  if (plain.length > 0)
    throw new StackSettingsError(
      `invalid stack properties:\n${plain.map(([client]) => `  ${name('callbackUrls')}: ${client}'s URL must be https`).join('\n')}`,
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

/** How long the api waits for an outcome when the request does not say (BROADCAST_WAIT_MS), as the functions default it. */
const defaultWaitMs = loadConfig({}).BROADCAST_WAIT_MS;

/**
 * The stack properties that are the functions' settings: the variable of each (the one a refusal names),
 * the functions that read it, and, when the value is not passed through as it is, the variables it sets.
 */
const functionSettings: Partial<
  Record<keyof StackSettings, { variable: string; to: Recipients; env?: (s: StackSettings) => Record<string, string> }>
> = {
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
  // Only the api waits for a client. Its default wait may not exceed the longest (the functions refuse that
  // at cold start), so a maximum below the default lowers the default too.
  maxWait: {
    variable: 'MAX_WAIT_MS',
    to: ['api'],
    env: ({ maxWait }) => ({
      MAX_WAIT_MS: String(maxWait * 1000),
      ...(maxWait * 1000 < defaultWaitMs ? { BROADCAST_WAIT_MS: String(maxWait * 1000) } : {}),
    }),
  },
};

/** The function settings given, each as the variables it sets. */
function givenSettings(settings: StackSettings): Array<[Recipients, Record<string, string>]> {
  return Object.entries(functionSettings).flatMap(([key, setting]) => {
    const value = settings[key as keyof StackSettings];
    if (value === undefined) return [];
    return [[setting.to, setting.env ? setting.env(settings) : { [setting.variable]: String(value) }]];
  });
}

/** The settings function `fn` reads, as its environment: the lifecycle's, and those given to it alone. */
export function settingsEnvironment(settings: StackSettings, fn: FunctionName): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [to, variables] of givenSettings(settings))
    if (to === 'every' || to.includes(fn)) Object.assign(env, variables);
  return env;
}

// --- the stage's settings file: deploy/<stage>.json, written by `npm run configure`, read by every synth

/** Where each stage's settings file is: the repository's `deploy/`. */
export const defaultSettingsDir = resolve(import.meta.dirname, '../../deploy');

/** The stage a deploy uses when `-c stage=<name>` names none: its file is `deploy/default.json`. */
export const defaultStage = 'default';

/**
 * A stage's name, checked: it names a file in the settings folder, so nothing that could reach outside it
 * (no `/`, no `..`) and nothing a shell or another system would read differently.
 */
export function stageName(value: unknown): string {
  if (value === undefined) return defaultStage;
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)) return value;
  throw new StackSettingsError(
    `stage ${JSON.stringify(value)} is not a stage name: letters, digits, - and _, starting with a letter or digit, at most 64 (the stage's settings are in deploy/<stage>.json)`,
  );
}

/** The path of stage `stage`'s settings file in `dir`. */
export function settingsFile(dir: string, stage: string): string {
  return join(dir, `${stage}.json`);
}

/** A path as a message shows it: relative to the working directory when it is inside it. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** The command that writes stage `stage`'s settings, as messages quote it. */
export function configureCommand(stage: string): string {
  return stage === defaultStage ? 'npm run configure --' : `npm run configure -- --stage ${stage}`;
}

/**
 * The settings a stage's file holds, as written (not yet checked against each other): `undefined` when
 * there is no file. Refuses a file that is not a JSON object of stack properties, so a misspelt key
 * fails the synth instead of quietly falling back to a default.
 */
export function readSettingsFile(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StackSettingsError(
      `${shownPath(file)} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new StackSettingsError(`${shownPath(file)} must be a JSON object of stack properties`);
  const unknown = Object.keys(json).filter((key) => !(settingKeys as string[]).includes(key));
  if (unknown.length > 0)
    throw new StackSettingsError(
      `${shownPath(file)}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a stack property' : 'are not stack properties'} (they are ${settingKeys.join(', ')})`,
    );
  return Object.fromEntries(Object.entries(json).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * Writes a stage's settings file: the keys in the schema's order (so that a change reads as a one-line
 * diff), two-space JSON and a trailing newline, by a rename so that a reader never sees half a file.
 */
export function writeSettingsFile(file: string, settings: Record<string, unknown>): void {
  const ordered = Object.fromEntries(
    settingKeys.flatMap((key) => (settings[key] === undefined ? [] : [[key, settings[key]]])),
  );
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(ordered, null, 2)}\n`);
  renameSync(partial, file);
}

/** A setting's value as an operator types it: `key=<this>`. */
export function settingText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

import { describe, expect, it } from 'vitest';
import { devWebhookSecret, loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError } from '../../functions/lib/errors/errors.ts';
import { webhookBackoffSeconds } from '../../functions/lib/webhooks/deliveryPolicy.ts';
import { createWebhookSecrets } from '../../functions/lib/webhooks/webhookSecrets.ts';

// The webhook settings: the signing secrets (one, or two during a rotation; never echoed in an error),
// where they come from (the environment, or Secrets Manager read at most every cacheMs), each client's
// default callback URL, and the backoff that spreads a delivery's attempts over about an hour.

const secretOf = (fill: number, bytes = 32) => `whsec_${Buffer.alloc(bytes, fill).toString('base64')}`;
const oldSecret = secretOf(1);
const newSecret = secretOf(2);

/** The message of the ConfigError loadConfig throws for `env`, or a failure when it parses. */
function configError(env: Record<string, string>): string {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return (caught as ConfigError).message;
}

describe('loadConfig: WEBHOOK_SECRET', () => {
  it('is empty when unset: no webhook can be signed', () => {
    expect(loadConfig({}).WEBHOOK_SECRET).toEqual([]);
  });

  it('takes one secret', () => {
    expect(loadConfig({ WEBHOOK_SECRET: oldSecret }).WEBHOOK_SECRET).toEqual([oldSecret]);
  });

  it.each([
    ['a space', ' '],
    ['a comma', ','],
    ['a comma and spaces', ' , '],
  ])('takes two secrets separated by %s, in their order', (_what, separator) => {
    expect(loadConfig({ WEBHOOK_SECRET: `${oldSecret}${separator}${newSecret}` }).WEBHOOK_SECRET).toEqual([
      oldSecret,
      newSecret,
    ]);
  });

  it('refuses three', () => {
    const message = configError({ WEBHOOK_SECRET: [oldSecret, newSecret, secretOf(3)].join(' ') });
    expect(message).toMatch(/WEBHOOK_SECRET: holds at most two secrets/);
  });

  it.each([
    ['not base64', 'whsec_this*is!not~base64', /WEBHOOK_SECRET: secret 1 must be whsec_ followed by base64/],
    ['without its prefix', Buffer.alloc(32, 4).toString('base64'), /WEBHOOK_SECRET: secret 1 must be whsec_/],
    ['too short (16 bytes)', secretOf(5, 16), /WEBHOOK_SECRET: secret 1 must hold at least 24 bytes/],
  ])('refuses a secret %s, and never repeats it in the error', (_what, secret, why) => {
    const message = configError({ WEBHOOK_SECRET: secret });
    expect(message).toMatch(why);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(secret.slice('whsec_'.length));
  });

  it('names which of two secrets is wrong, repeating neither', () => {
    const short = secretOf(6, 8);
    const message = configError({ WEBHOOK_SECRET: `${oldSecret} ${short}` });
    expect(message).toMatch(/secret 2 must hold at least 24 bytes/);
    expect(message).not.toContain(oldSecret.slice('whsec_'.length));
    expect(message).not.toContain(short.slice('whsec_'.length));
  });

  it('refuses WEBHOOK_SECRET together with WEBHOOK_SECRET_ARN', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhooks';
    expect(configError({ WEBHOOK_SECRET: oldSecret, WEBHOOK_SECRET_ARN: arn })).toMatch(
      /WEBHOOK_SECRET_ARN: set WEBHOOK_SECRET or WEBHOOK_SECRET_ARN, not both/,
    );
    expect(loadConfig({ WEBHOOK_SECRET_ARN: arn }).WEBHOOK_SECRET_ARN).toBe(arn);
  });

  it('refuses the local development secret on Lambda, alone or beside another, and takes it elsewhere', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'notifier' };
    expect(configError({ ...lambda, WEBHOOK_SECRET: devWebhookSecret })).toMatch(
      /WEBHOOK_SECRET: is the local development secret/,
    );
    expect(configError({ ...lambda, WEBHOOK_SECRET: `${oldSecret} ${devWebhookSecret}` })).toMatch(
      /WEBHOOK_SECRET: is the local development secret/,
    );
    expect(loadConfig({ ...lambda, WEBHOOK_SECRET: oldSecret }).WEBHOOK_SECRET).toEqual([oldSecret]);
    expect(loadConfig({ WEBHOOK_SECRET: devWebhookSecret }).WEBHOOK_SECRET).toEqual([devWebhookSecret]);
  });
});

describe('loadConfig: CALLBACK_URLS', () => {
  it('is empty when unset', () => {
    expect(loadConfig({}).CALLBACK_URLS).toEqual({});
  });

  it('reads client=url pairs, spaces around them allowed, a URL’s own = kept', () => {
    const config = loadConfig({
      CALLBACK_URLS: 'alice=https://a.example/hooks , bob = https://b.example/in?key=1',
    });
    expect(config.CALLBACK_URLS).toEqual({ alice: 'https://a.example/hooks', bob: 'https://b.example/in?key=1' });
  });

  it.each([
    ['without =', 'alice'],
    ['without a client', '=https://a.example/hooks'],
    ['whose URL is not one', 'alice=not a url'],
    ['whose client name is not one', 'al ice=https://a.example/hooks'],
  ])('refuses a pair %s', (_what, text) => {
    expect(configError({ CALLBACK_URLS: text })).toMatch(/CALLBACK_URLS: pair 1 must be <client>=<url>/);
  });

  it('refuses a client given twice', () => {
    expect(configError({ CALLBACK_URLS: 'alice=https://a.example/1,alice=https://a.example/2' })).toMatch(
      /CALLBACK_URLS: pair 2: alice is given twice/,
    );
  });
});

describe('webhookBackoffSeconds', () => {
  it('doubles from the base after each failure', () => {
    expect([2, 3, 4, 5].map((next) => webhookBackoffSeconds(next, 10))).toEqual([10, 20, 40, 80]);
  });

  it('is capped at 900 s, the longest delay SQS gives a message', () => {
    expect(webhookBackoffSeconds(8, 10)).toBe(640);
    expect(webhookBackoffSeconds(9, 10)).toBe(900);
    expect(webhookBackoffSeconds(30, 10)).toBe(900);
    expect(webhookBackoffSeconds(2, 5000)).toBe(900);
  });

  it('is at least 1 s, even with a base of 0', () => {
    expect(webhookBackoffSeconds(2, 0)).toBe(1);
    expect(webhookBackoffSeconds(5, 0)).toBe(1);
  });

  it('with the defaults (base 10 s, 11 attempts), the ten waits span about an hour', () => {
    const { WEBHOOK_RETRY_BASE_SECONDS: base, WEBHOOK_MAX_ATTEMPTS: attempts } = loadConfig({});
    expect([base, attempts]).toEqual([10, 11]);
    const waits = Array.from({ length: attempts - 1 }, (_, i) => webhookBackoffSeconds(i + 2, base));
    expect(waits).toHaveLength(10);
    const total = waits.reduce((sum, w) => sum + w, 0);
    expect(total).toBeGreaterThanOrEqual(3000);
    expect(total).toBeLessThanOrEqual(4500);
  });
});

describe('createWebhookSecrets', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhooks';

  /** A Secrets Manager stand-in whose text (or failure) the test sets, counting its reads. */
  function createReader(text: string | undefined) {
    const reader = { text, fail: undefined as Error | undefined, reads: [] as string[] };
    const read = async (secretId: string) => {
      reader.reads.push(secretId);
      if (reader.fail) throw reader.fail;
      return reader.text;
    };
    return Object.assign(reader, { read });
  }

  it('the local secrets: configured when there are some, and never read from Secrets Manager', async () => {
    const reader = createReader(undefined);
    const local = createWebhookSecrets({ WEBHOOK_SECRET: [oldSecret] }, reader.read);
    expect(local.configured).toBe(true);
    expect(await local.secrets()).toEqual([oldSecret]);
    expect(createWebhookSecrets({ WEBHOOK_SECRET: [] }, reader.read).configured).toBe(false);
    expect(reader.reads).toEqual([]);
  });

  it('reads the secret the ARN names once per cacheMs, so a rotation takes effect within it', async () => {
    const reader = createReader(oldSecret);
    let at = 0;
    const secrets = createWebhookSecrets({ WEBHOOK_SECRET: [], WEBHOOK_SECRET_ARN: arn }, reader.read, {
      cacheMs: 1000,
      now: () => at,
    });
    expect(secrets.configured).toBe(true);
    expect(await secrets.secrets()).toEqual([oldSecret]);
    reader.text = `${oldSecret} ${newSecret}`; // the rotation starts
    at = 999;
    expect(await secrets.secrets()).toEqual([oldSecret]);
    expect(reader.reads).toEqual([arn]);
    at = 1000;
    expect(await secrets.secrets()).toEqual([oldSecret, newSecret]);
    expect(reader.reads).toEqual([arn, arn]);
  });

  it('a read that fails is not cached: the next call reads again', async () => {
    const reader = createReader(oldSecret);
    reader.fail = new Error('throttled');
    const secrets = createWebhookSecrets({ WEBHOOK_SECRET: [], WEBHOOK_SECRET_ARN: arn }, reader.read, {
      cacheMs: 60_000,
      now: () => 0,
    });
    await expect(secrets.secrets()).rejects.toThrow('throttled');
    reader.fail = undefined;
    expect(await secrets.secrets()).toEqual([oldSecret]);
    expect(reader.reads).toHaveLength(2);
  });

  it.each([
    ['malformed', 'whsec_short-and*wrong'],
    ['three secrets', [oldSecret, newSecret, secretOf(3)].join(' ')],
    ['empty', ''],
  ])('a secret that is %s is a ConfigError naming the ARN, not the secret', async (_what, text) => {
    const reader = createReader(text);
    const secrets = createWebhookSecrets({ WEBHOOK_SECRET: [], WEBHOOK_SECRET_ARN: arn }, reader.read);
    const error = await secrets.secrets().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(arn);
    if (text) expect((error as ConfigError).message).not.toContain(text.slice('whsec_'.length, 'whsec_'.length + 12));
  });
});

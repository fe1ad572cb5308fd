import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { keccak256, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKms, startFakeKms } from '../support/fakeKms.ts';
import { type Captured, spawnCapture } from '../support/spawnCapture.ts';

/**
 * Bundle budget, per function (minified ESM, without its source map). Measured 2026-12 (bytes):
 * api 930,213 (with the admin page); broadcaster 805,195; updater 774,074; tracker 798,677; notifier 815,194;
 * sweep 768,867; authorizer 429,755.
 * About a third of each is zod; the AWS SDK clients are bundled on purpose (the tested versions deploy).
 */
const budgetBytes = 1_600_000;

const root = resolve(import.meta.dirname, '../..');
let outdir: string;
let synth: Captured;
let template: {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }>;
};
let kms: FakeKms;

/** `npx cdk synth` as a user runs it, with no AWS credentials, no profile and no network: notices, telemetry and version checks off. */
function cdkSynth(out: string): Promise<Captured> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, {
    PATH: [join(root, 'node_modules', '.bin'), env.PATH].join(delimiter),
    AWS_SHARED_CREDENTIALS_FILE: join(out, 'no-credentials'),
    AWS_CONFIG_FILE: join(out, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  });
  return spawnCapture(
    process.execPath,
    [
      join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      out,
      // The chain has no default; a deploy reads it from deploy/<stage>.json, this test from -c.
      '-c',
      'chainId=11155111',
    ],
    { cwd: root, env },
  );
}

/** Imports a bundle in a fresh Node (the Lambda runtime's way: ESM, top-level await) and reports its handler's type. */
function importBundle(file: string, env: Record<string, string>): Promise<Captured> {
  return spawnCapture(
    process.execPath,
    [
      '--enable-source-maps',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(file)}); console.log('handler:' + typeof m.handler);`,
    ],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  );
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
  [synth, kms] = await Promise.all([
    cdkSynth(outdir),
    startFakeKms({ privateKey: keccak256(toHex('bundle smoke key')) }),
  ]);
  if (synth.code === 0) template = JSON.parse(readFileSync(join(outdir, 'TxBroadcaster.template.json'), 'utf8'));
});

afterAll(async () => {
  await kms?.stop();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/**
 * Each bundle we build (every function but the custom-resources Provider's own, which aws-cdk-lib ships
 * built) in the cloud assembly, by its logical id without the hash.
 */
function bundles(): Array<{ name: string; file: string; bytes: number }> {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler')
    .map(([id, r]) => {
      const asset = r.Metadata?.['aws:asset:path'];
      if (!asset) throw new Error(`${id} has no asset metadata`);
      const file = join(outdir, asset, 'index.mjs');
      return { name: id.replace(/[0-9A-F]{8}$/, ''), file, bytes: statSync(file).size };
    });
}

describe('npx cdk synth', () => {
  it('succeeds with no AWS credentials and no cdk-nag finding left unacknowledged', () => {
    expect(synth.output).not.toMatch(/AwsSolutions-/);
    expect(synth.code, synth.output).toBe(0);
  });

  it('bundles each function small enough', () => {
    const sizes = bundles();
    expect(sizes.map((b) => b.name).sort()).toEqual([
      'Api',
      'Authorizer',
      'Broadcaster',
      'Notifier',
      // The deploy-time function behind the SignerAddress outputs.
      'SignerAddressResolver',
      'Sweep',
      'Tracker',
      'Updater',
    ]);
    console.log(
      `bundle sizes (budget ${budgetBytes} bytes each):\n${sizes.map((b) => `  ${b.name.padEnd(22)} ${b.bytes.toLocaleString('en')} bytes`).join('\n')}`,
    );
    for (const b of sizes) {
      expect(b.bytes, b.name).toBeLessThan(budgetBytes);
      // ESM with a source map beside it, as the runtime will load it
      expect(statSync(`${b.file}.map`).size, b.name).toBeGreaterThan(0);
    }
  });

  it('each bundle loads as Lambda loads it and exports a handler (no require or __dirname left unresolved)', async () => {
    const env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
      TABLE_NAME: 'transactions',
      REQUESTS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/requests',
      RETRY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/retry',
      RESPONSES_QUEUE_URL: 'http://127.0.0.1:1/000000000000/responses',
      TRACKING_QUEUE_URL: 'http://127.0.0.1:1/000000000000/tracking',
      NOTIFICATIONS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/notifications',
      NOTIFICATIONS_DLQ_URL: 'http://127.0.0.1:1/000000000000/notifications-dlq',
      // As the stack sets it: the ARN is known at cold start, the value read only when a webhook is signed.
      WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhooks',
      RPC_URL: 'http://127.0.0.1:1',
      // The broadcaster and the sweep ask KMS for their addresses at cold start; the stack names the pool in KMS_KEY_IDS.
      KMS_KEY_IDS: kms.keyId,
      AWS_ENDPOINT_URL_KMS: kms.url,
      TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:tokens',
      LOG_LEVEL: 'SILENT',
    };
    const results = await Promise.all(bundles().map(async (b) => ({ b, ...(await importBundle(b.file, env)) })));
    for (const { b, code, output } of results) {
      expect(output, b.name).toContain('handler:function');
      expect(code, `${b.name}: ${output}`).toBe(0);
    }
  });
});

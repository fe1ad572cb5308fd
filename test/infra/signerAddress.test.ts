import { resolve } from 'node:path';
import { keccak256, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKms, startFakeKms } from '../support/fakeKms.ts';
import { spawnCapture } from '../support/spawnCapture.ts';

const root = resolve(import.meta.dirname, '../..');
let kms: FakeKms;

beforeAll(async () => {
  kms = await startFakeKms({ privateKey: keccak256(toHex('signer address script key')) });
});

afterAll(async () => {
  await kms?.stop();
});

/** Runs `npm run signer-address`'s entry point with only the environment a user would give it. */
const run = (args: string[]) =>
  spawnCapture(process.execPath, ['infra/signerAddress.ts', ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_KMS: kms.url,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });

describe('npm run signer-address', () => {
  it('prints the address of the stack’s KMS key, the one to fund', async () => {
    const out = await run([kms.keyId]);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe(kms.address);
    expect(out.code).toBe(0);
  });

  it('says how to call it, and what went wrong with a key', async () => {
    expect((await run([])).stderr).toMatch(/usage: npm run signer-address -- <SignerKeyArn/);
    const missing = await run(['arn:aws:kms:us-east-1:111122223333:key/nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/KMS GetPublicKey with key .*nope failed \(rejected\): NotFoundException/);
  });
});

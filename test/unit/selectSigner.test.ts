import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { selectSigner } from '../../functions/lib/chain/selectSigner.ts';
import { anvilDevKey, loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError } from '../../functions/lib/errors/errors.ts';
import { type FakeKms, startFakeKms } from '../support/fakeKms.ts';

let kms: FakeKms;

beforeAll(async () => {
  // The SDK reads credentials from the environment, as on Lambda; the fake ignores them.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  kms = await startFakeKms({ privateKey: keccak256(toHex('selectSigner test key')) });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await kms?.stop();
});

describe('selectSigner', () => {
  it('refuses to start without KMS_KEY_ID unless the local runner allows the local key', () => {
    expect(() => selectSigner(loadConfig({}))).toThrowError(ConfigError);
    expect(() => selectSigner(loadConfig({}))).toThrowError(/KMS_KEY_ID is required/);
    expect(() => selectSigner(loadConfig({ LOCAL_SIGNER_ALLOWED: 'false' }))).toThrowError(/KMS_KEY_ID/);
  });

  it('never uses the local key on Lambda, even when allowed', () => {
    expect(() =>
      selectSigner(loadConfig({ LOCAL_SIGNER_ALLOWED: 'true', AWS_LAMBDA_FUNCTION_NAME: 'broadcaster' })),
    ).toThrowError(/never on Lambda/);
  });

  it('uses the local key where allowed', async () => {
    const signer = await selectSigner(loadConfig({ LOCAL_SIGNER_ALLOWED: 'true' }))();
    expect(signer.address).toBe(privateKeyToAccount(anvilDevKey).address);
  });

  it('uses KMS when KMS_KEY_ID is set, fetching the address once', async () => {
    const config = loadConfig({
      KMS_KEY_ID: kms.keyId,
      AWS_ENDPOINT_URL_KMS: kms.url,
      LOCAL_SIGNER_ALLOWED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: 'broadcaster',
    });
    const signer = selectSigner(config);
    const before = kms.calls.filter((c) => c.operation === 'GetPublicKey').length;
    expect((await signer()).address).toBe(kms.address);
    expect(await signer()).toBe(await signer());
    expect(kms.calls.filter((c) => c.operation === 'GetPublicKey').length - before).toBe(1);
  });

  it('tries GetPublicKey again after a failure instead of keeping it', async () => {
    const signer = selectSigner(loadConfig({ KMS_KEY_ID: kms.keyId, AWS_ENDPOINT_URL_KMS: kms.url }));
    kms.failNext('GetPublicKey', { status: 400, type: 'AccessDeniedException', message: 'not allowed' });
    await expect(signer()).rejects.toMatchObject({ name: 'KmsSignerError', reason: 'rejected' });
    expect((await signer()).address).toBe(kms.address);
  });
});

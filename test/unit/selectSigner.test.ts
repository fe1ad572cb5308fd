import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { selectSigners } from '../../functions/lib/chain/selectSigner.ts';
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

describe('selectSigners', () => {
  it('refuses to start without KMS_KEY_IDS unless the local runner allows the local keys', () => {
    expect(() => selectSigners(loadConfig({}))).toThrowError(ConfigError);
    expect(() => selectSigners(loadConfig({}))).toThrowError(/KMS_KEY_IDS is required/);
    expect(() => selectSigners(loadConfig({ LOCAL_SIGNER_ALLOWED: 'false' }))).toThrowError(/KMS_KEY_IDS/);
  });

  it('never uses the local key on Lambda, even when allowed', () => {
    expect(() =>
      selectSigners(loadConfig({ LOCAL_SIGNER_ALLOWED: 'true', AWS_LAMBDA_FUNCTION_NAME: 'broadcaster' })),
    ).toThrowError(/never on Lambda/);
  });

  it('uses the local key where allowed', async () => {
    const pool = await selectSigners(loadConfig({ LOCAL_SIGNER_ALLOWED: 'true' }))();
    expect(pool.all.map((s) => s.address)).toEqual([privateKeyToAccount(anvilDevKey).address]);
  });

  it('makes a pool of SIGNER_PRIVATE_KEYS, in their order, and finds each by address in any case', async () => {
    const keys: `0x${string}`[] = [anvilDevKey, keccak256(toHex('second')), keccak256(toHex('third'))];
    const pool = await selectSigners(
      loadConfig({ LOCAL_SIGNER_ALLOWED: 'true', SIGNER_PRIVATE_KEYS: keys.join(',') }),
    )();
    const addresses = keys.map((k) => privateKeyToAccount(k).address);
    expect(pool.all.map((s) => s.address)).toEqual(addresses);
    expect(pool.get((addresses[2] as string).toLowerCase())?.address).toBe(addresses[2]);
    expect(pool.get('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')).toBeUndefined();
  });

  it('refuses a key listed twice, or both spellings of the pool, without echoing a key', () => {
    const twice = `${anvilDevKey},${anvilDevKey.toUpperCase().replace('0X', '0x')}`;
    expect(() => loadConfig({ SIGNER_PRIVATE_KEYS: twice })).toThrowError(
      /SIGNER_PRIVATE_KEYS: lists one of its private keys twice/,
    );
    expect(() => loadConfig({ SIGNER_PRIVATE_KEYS: anvilDevKey, SIGNER_PRIVATE_KEY: anvilDevKey })).toThrowError(
      /not both/,
    );
    try {
      loadConfig({ SIGNER_PRIVATE_KEYS: `${anvilDevKey},0x1234` });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/SIGNER_PRIVATE_KEYS: item 2 must be a 0x-prefixed 32-byte hex private key/);
      expect(String(error)).not.toContain(anvilDevKey.slice(2));
    }
  });

  it('uses KMS when KMS_KEY_ID is set, fetching the address once', async () => {
    const config = loadConfig({
      KMS_KEY_ID: kms.keyId,
      AWS_ENDPOINT_URL_KMS: kms.url,
      LOCAL_SIGNER_ALLOWED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: 'broadcaster',
    });
    const signer = selectSigners(config);
    const before = kms.calls.filter((c) => c.operation === 'GetPublicKey').length;
    expect((await signer()).all.map((s) => s.address)).toEqual([kms.address]);
    expect(await signer()).toBe(await signer());
    expect(kms.calls.filter((c) => c.operation === 'GetPublicKey').length - before).toBe(1);
  });

  it('tries GetPublicKey again after a failure instead of keeping it', async () => {
    const signer = selectSigners(loadConfig({ KMS_KEY_ID: kms.keyId, AWS_ENDPOINT_URL_KMS: kms.url }));
    kms.failNext('GetPublicKey', { status: 400, type: 'AccessDeniedException', message: 'not allowed' });
    await expect(signer()).rejects.toMatchObject({ name: 'KmsSignerError', reason: 'rejected' });
    expect((await signer()).all[0]?.address).toBe(kms.address);
  });

  it('takes the pool from KMS_KEY_IDS; one key id listed twice, or both variables, are refused', async () => {
    const pool = await selectSigners(loadConfig({ KMS_KEY_IDS: kms.keyId, AWS_ENDPOINT_URL_KMS: kms.url }))();
    expect(pool.all.map((s) => s.address)).toEqual([kms.address]);
    expect(() => loadConfig({ KMS_KEY_IDS: `${kms.keyId},${kms.keyId}` })).toThrowError(/KMS_KEY_IDS: lists one/);
    expect(() => loadConfig({ KMS_KEY_IDS: kms.keyId, KMS_KEY_ID: kms.keyId })).toThrowError(/not both/);
  });
});

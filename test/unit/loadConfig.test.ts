import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError } from '../../functions/lib/errors/errors.ts';

describe('loadConfig', () => {
  it('fills the defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      CHAIN_ID: 31337,
      MAX_ATTEMPTS: 3,
      SIGNING_LEASE_SECONDS: 30,
      SIGNER_PRIVATE_KEYS: [],
      KMS_KEY_IDS: [],
      BALANCE_CACHE_MS: 5000,
    });
    // No key configured: the pool is anvil's first dev key (selectSigners), in flight 16 a signer, no balance floor.
    expect(config.SIGNER_PRIVATE_KEY).toBeUndefined();
    expect(config.MAX_IN_FLIGHT_PER_SIGNER(1)).toBe(16);
    expect(config.LOW_BALANCE_WEI(1)).toBe(0n);
  });

  it('reads the in-flight cap and the balance floor per chain, in wei of any size', () => {
    const config = loadConfig({
      MAX_IN_FLIGHT_PER_SIGNER: '1:64,137:8',
      LOW_BALANCE_WEI: '1:50000000000000000000000000000',
    });
    expect([
      config.MAX_IN_FLIGHT_PER_SIGNER(1),
      config.MAX_IN_FLIGHT_PER_SIGNER(137),
      config.MAX_IN_FLIGHT_PER_SIGNER(5),
    ]).toEqual([64, 8, 16]);
    expect(config.LOW_BALANCE_WEI(1)).toBe(50_000_000_000_000_000_000_000_000_000n);
    expect(config.LOW_BALANCE_WEI(137)).toBe(0n);
    expect(() => loadConfig({ MAX_IN_FLIGHT_PER_SIGNER: '0' })).toThrowError(/MAX_IN_FLIGHT_PER_SIGNER: must be 1 to/);
    expect(() => loadConfig({ LOW_BALANCE_WEI: '1:-5' })).toThrowError(
      /LOW_BALANCE_WEI: "1:-5" must be <chain id>:<a whole number of wei>/,
    );
  });

  it('names every wrong variable', () => {
    expect(() => loadConfig({ CHAIN_ID: 'one', MAX_ATTEMPTS: '0', RPC_URL: 'not a url' })).toThrowError(ConfigError);
    try {
      loadConfig({ CHAIN_ID: 'one', MAX_ATTEMPTS: '0', RPC_URL: 'not a url' });
    } catch (error) {
      expect(String(error)).toMatch(/CHAIN_ID/);
      expect(String(error)).toMatch(/MAX_ATTEMPTS/);
      expect(String(error)).toMatch(/RPC_URL/);
    }
  });

  it('holds none of the local runner’s settings (infra/local/runnerSettings.ts reads those)', () => {
    const config = loadConfig({ PORT: 'eighty', WORKERS: '0', DATA_DIR: '' });
    const runnerOnly = [
      'PORT',
      'HOST',
      'WORKERS',
      'BATCH_SIZE',
      'SWEEP_INTERVAL_SECONDS',
      'VISIBILITY_TIMEOUT_SECONDS',
    ];
    for (const key of [...runnerOnly, 'DATA_DIR']) expect(config, key).not.toHaveProperty(key);
  });

  it('keeps the backoff cap within SQS’s 900 s and above the base', () => {
    expect(() => loadConfig({ RETRY_CAP_SECONDS: '901' })).toThrowError(/RETRY_CAP_SECONDS/);
    expect(() => loadConfig({ RETRY_BASE_SECONDS: '30', RETRY_CAP_SECONDS: '10' })).toThrowError(/RETRY_BASE_SECONDS/);
  });

  it('refuses a malformed private key without echoing it', () => {
    const secretish = '0x1234';
    try {
      loadConfig({ SIGNER_PRIVATE_KEY: secretish });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/SIGNER_PRIVATE_KEY/);
      expect(String(error)).not.toContain(secretish);
    }
  });

  it('reads the per-chain settings as one value for all chains, or chain:value pairs over the defaults', () => {
    const defaults = loadConfig({});
    expect([1, 137, 31337].map(defaults.TRACK_INTERVAL_SECONDS)).toEqual([12, 2, 2]);
    expect([1, 31337].map(defaults.STUCK_AFTER_BLOCKS)).toEqual([5, 3]);
    expect([1, 31337].map(defaults.CONFIRMATIONS)).toEqual([2, 1]);
    expect(defaults.FEE_CAP_GWEI(1)).toBe(1000);
    const set = loadConfig({
      TRACK_INTERVAL_SECONDS: '137:5',
      STUCK_AFTER_BLOCKS: '4',
      FEE_CAP_GWEI: '1:300, 137:3000',
    });
    expect([1, 137].map(set.TRACK_INTERVAL_SECONDS)).toEqual([12, 5]);
    expect([1, 31337].map(set.STUCK_AFTER_BLOCKS)).toEqual([4, 4]);
    expect([1, 137, 10].map(set.FEE_CAP_GWEI)).toEqual([300, 3000, 1000]);
  });

  it('CONFIRMATIONS may name finalized, for every chain or per chain', () => {
    expect(loadConfig({ CONFIRMATIONS: 'finalized' }).CONFIRMATIONS(1)).toBe('finalized');
    const some = loadConfig({ CONFIRMATIONS: '1:finalized, 137:64' }).CONFIRMATIONS;
    expect([1, 137, 31337].map(some)).toEqual(['finalized', 64, 1]);
    expect(() => loadConfig({ CONFIRMATIONS: '1:soon' })).toThrowError(/CONFIRMATIONS: "1:soon" must be/);
  });

  it.each([
    ['TRACK_INTERVAL_SECONDS', '0', /TRACK_INTERVAL_SECONDS: must be 1 to 900 seconds/],
    ['STUCK_AFTER_BLOCKS', '1:x', /STUCK_AFTER_BLOCKS: "1:x" must be <chain id>:<1 to 1000 blocks>/],
    ['FEE_CAP_GWEI', '2000000', /FEE_CAP_GWEI: must be 1 to 1000000 gwei/],
  ])('a wrong %s=%s is named with its bounds', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(message);
  });
});

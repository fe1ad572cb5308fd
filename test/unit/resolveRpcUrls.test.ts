import { describe, expect, it } from 'vitest';
import { resolveRpcUrls } from '../../functions/lib/chain/resolveRpcUrls.ts';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError } from '../../functions/lib/errors/errors.ts';

const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:chains-AbCdEf';
const secretUrl = 'https://mainnet.example/v3/secret-api-key';

function reader(value: string | undefined) {
  const asked: string[] = [];
  return {
    asked,
    read: async (id: string) => {
      asked.push(id);
      return value;
    },
  };
}

describe('resolveRpcUrls', () => {
  it('uses RPC_URL for CHAIN_ID when no secret is configured', async () => {
    const secret = reader(undefined);
    const config = loadConfig({ CHAIN_ID: '5', RPC_URL: 'http://127.0.0.1:8545' });
    expect(await resolveRpcUrls(config, secret.read)).toEqual({ 5: ['http://127.0.0.1:8545'] });
    expect(secret.asked).toEqual([]);
    await expect(resolveRpcUrls(loadConfig({}), secret.read)).rejects.toThrowError(/RPC_URL is required/);
  });

  it('reads every chain from the secret named by CHAINS_SECRET_ARN', async () => {
    const secret = reader(JSON.stringify({ 1: secretUrl, 8453: 'https://base.example/key' }));
    const config = loadConfig({ CHAIN_ID: '1', CHAINS_SECRET_ARN: arn });
    expect(await resolveRpcUrls(config, secret.read)).toEqual({ 1: [secretUrl], 8453: ['https://base.example/key'] });
    expect(secret.asked).toEqual([arn]);
  });

  it('takes several URLs for a chain, in the order they are to be asked', async () => {
    // prepare
    const second = 'https://fallback.example/other-key';
    const config = loadConfig({ CHAIN_ID: '1', CHAINS_SECRET_ARN: arn });
    // act
    const urls = await resolveRpcUrls(config, reader(JSON.stringify({ 1: [secretUrl, second] })).read);
    // assess
    expect(urls).toEqual({ 1: [secretUrl, second] });
  });

  it('takes several local URLs in RPC_URL, separated by commas', async () => {
    const config = loadConfig({ CHAIN_ID: '5', RPC_URL: 'http://127.0.0.1:8545, http://127.0.0.1:8546' });
    expect(await resolveRpcUrls(config, reader(undefined).read)).toEqual({
      5: ['http://127.0.0.1:8545', 'http://127.0.0.1:8546'],
    });
    expect(() => loadConfig({ RPC_URL: 'http://127.0.0.1:8545,not a url' })).toThrowError(/RPC_URL: item 2/);
    expect(() =>
      loadConfig({ RPC_URL: 'http://a.example,http://b.example,http://c.example,http://d.example,http://e.example' }),
    ).toThrowError(/RPC_URL: takes at most 4 URLs/);
  });

  it('says how to fix a secret without the default chain, and never echoes a URL', async () => {
    const error = await resolveRpcUrls(
      loadConfig({ CHAIN_ID: '1', CHAINS_SECRET_ARN: arn }),
      reader(JSON.stringify({ 10: secretUrl })).read,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/no RPC URL for CHAIN_ID 1.*put-secret-value/);
    expect(String(error)).not.toContain('secret-api-key');
  });

  it('refuses a malformed secret, naming the key but not the value', async () => {
    const config = loadConfig({ CHAIN_ID: '1', CHAINS_SECRET_ARN: arn });
    for (const [value, message] of [
      ['{}}', /not JSON/],
      [JSON.stringify({ 1: 'ftp://secret-api-key' }), /1: must be an http\(s\) URL/],
      [JSON.stringify({ mainnet: secretUrl }), /key 1: must be a chain id/],
      // Key and value swapped: the key is a URL with its API key, never echoed.
      [JSON.stringify({ 1: 'https://ok.example', [secretUrl]: '1' }), /key 2: must be a chain id/],
      [JSON.stringify({ 1: [] }), /1: must list at least one URL/],
      [JSON.stringify({ 1: ['https://ok.example', 'ftp://secret-api-key'] }), /1\[1\]: must be an http\(s\) URL/],
      [
        JSON.stringify({ 1: Array.from({ length: 5 }, (_, i) => `https://${i}.example/secret-api-key`) }),
        /1: must list at most 4 URLs/,
      ],
      [undefined, /not JSON/],
    ] as const) {
      const error = await resolveRpcUrls(config, reader(value).read).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).toMatch(message);
      expect(String(error)).toMatch(/CHAINS_SECRET_ARN/);
      expect(String(error)).not.toContain('secret-api-key');
    }
  });
});

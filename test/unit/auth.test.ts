import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../functions/lib/auth/authenticate.ts';
import { createAccessCheck } from '../../functions/lib/auth/createAccessCheck.ts';
import { createLocalTokenSource } from '../../functions/lib/auth/createLocalTokenSource.ts';
import { createSecretsTokenSource } from '../../functions/lib/auth/createSecretsTokenSource.ts';
import { createTokenSource } from '../../functions/lib/auth/createTokenSource.ts';
import { hashToken } from '../../functions/lib/auth/hashToken.ts';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError, ForbiddenError, UnauthorizedError } from '../../functions/lib/errors/errors.ts';
import { toErrorResponse } from '../../functions/lib/http/toErrorResponse.ts';

const local = createLocalTokenSource([
  { client: 'team-a', role: 'client', token: 'client-token-1' },
  { client: 'ops', role: 'admin', token: 'admin-token-1' },
]);
const hashKey = 'a-server-side-key-of-the-secret';
const entry = (token: string, client: string, role: 'client' | 'admin') => ({
  hash: hashToken(hashKey, token),
  client,
  role,
});
const event = (authorization?: string, requestContext: unknown = {}) => ({
  headers: authorization === undefined ? {} : { authorization },
  // The authorizer's context is not in the base event type; the check reads it through zod.
  requestContext: requestContext as never,
});

/** A stand-in for the Secrets Manager client: counts reads and answers with `secret()`. */
function fakeSecrets(secret: () => string) {
  const client = {
    reads: 0,
    async send() {
      client.reads++;
      return { SecretString: secret() };
    },
  };
  return client;
}
const asClient = (fake: ReturnType<typeof fakeSecrets>) => fake as unknown as Pick<SecretsManagerClient, 'send'>;

describe('authenticate', () => {
  it('gives each token its client and role', async () => {
    expect(await authenticate(local, 'Bearer client-token-1')).toEqual({ client: 'team-a', role: 'client' });
    expect(await authenticate(local, 'bearer   admin-token-1')).toEqual({ client: 'ops', role: 'admin' });
  });

  it.each([
    [undefined, false],
    ['', false],
    ['Bearer', true],
    ['Bearer ', true],
    ['Basic Y2xpZW50OnRva2Vu', true],
    ['Bearer client-token-2', true],
    ['Bearer client-token-1 extra', true],
    ['Bearer CLIENT-TOKEN-1', true],
  ])('refuses %j (a token was given: %s)', async (header, given) => {
    const error = await authenticate(local, header).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).given).toBe(given);
    expect(String((error as Error).message)).not.toContain('client-token');
  });

  it('answers 401 with WWW-Authenticate, and 403 for a role that may not', () => {
    expect(toErrorResponse(new UnauthorizedError(false))).toMatchObject({
      statusCode: 401,
      headers: { 'www-authenticate': 'Bearer' },
    });
    expect(toErrorResponse(new UnauthorizedError(true)).headers?.['www-authenticate']).toBe(
      'Bearer error="invalid_token"',
    );
    expect(toErrorResponse(new ForbiddenError('client', 'admin')).statusCode).toBe(403);
  });
});

describe('createAccessCheck', () => {
  it('local: open routes need nothing; client routes take both roles; admin routes only admin', async () => {
    const check = createAccessCheck({ mode: 'local', tokens: local });
    expect(await check(event(), 'none')).toBeUndefined();
    expect(await check(event('Bearer client-token-1'), 'client')).toEqual({ client: 'team-a', role: 'client' });
    expect(await check(event('Bearer admin-token-1'), 'client')).toEqual({ client: 'ops', role: 'admin' });
    expect(await check(event('Bearer admin-token-1'), 'admin')).toEqual({ client: 'ops', role: 'admin' });
    await expect(check(event('Bearer client-token-1'), 'admin')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(check(event(), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('authorizer: trusts only the caller the Lambda authorizer put on the event, never a header', async () => {
    const check = createAccessCheck({ mode: 'authorizer' });
    const allowed = (role: string, client = 'team-a') => ({ authorizer: { lambda: { role, client } } });
    expect(await check(event(undefined, allowed('client')), 'client')).toEqual({ client: 'team-a', role: 'client' });
    await expect(check(event(undefined, allowed('client', '')), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(check(event(undefined, allowed('client')), 'admin')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(check(event('Bearer admin-token-1', {}), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(check(event(undefined, allowed('root')), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('createSecretsTokenSource', () => {
  const secret = JSON.stringify({
    hashKey,
    tokens: [
      entry('c1', 'team-a', 'client'),
      { ...entry('c2', 'team-b', 'client'), hash: hashToken(hashKey, 'c2').toUpperCase() },
      entry('a1', 'ops', 'admin'),
    ],
  });

  it('reads the hashes once per 5 minutes, however many requests come at once', async () => {
    let now = 0;
    const fake = fakeSecrets(() => secret);
    const source = createSecretsTokenSource(asClient(fake), 'arn:secret', { now: () => now });
    await Promise.all(Array.from({ length: 20 }, () => authenticate(source, 'Bearer c1')));
    expect(await authenticate(source, 'Bearer c2')).toEqual({ client: 'team-b', role: 'client' });
    expect(await authenticate(source, 'Bearer a1')).toEqual({ client: 'ops', role: 'admin' });
    expect(fake.reads).toBe(1);
    now = 5 * 60_000 - 1;
    await authenticate(source, 'Bearer c1');
    expect(fake.reads).toBe(1);
    now = 5 * 60_000;
    await authenticate(source, 'Bearer c1');
    expect(fake.reads).toBe(2);
  });

  it('takes up a rotation once the cache expires', async () => {
    let now = 0;
    let current = secret;
    const source = createSecretsTokenSource(asClient(fakeSecrets(() => current)), 'arn:secret', { now: () => now });
    expect(await authenticate(source, 'Bearer c1')).toEqual({ client: 'team-a', role: 'client' });
    // team-a's new token replaces its old one: the same client, so its transactions and keys stay its own.
    current = JSON.stringify({ hashKey, tokens: [entry('c3', 'team-a', 'client')] });
    now = 10 * 60_000;
    await expect(authenticate(source, 'Bearer c1')).rejects.toBeInstanceOf(UnauthorizedError);
    expect(await authenticate(source, 'Bearer c3')).toEqual({ client: 'team-a', role: 'client' });
  });

  it('fails closed on a malformed secret, without caching the failure', async () => {
    let current = JSON.stringify({ hashKey, tokens: [{ hash: 'not-a-hash', client: 'team-a', role: 'client' }] });
    const fake = fakeSecrets(() => current);
    const source = createSecretsTokenSource(asClient(fake), 'arn:secret');
    await expect(authenticate(source, 'Bearer c1')).rejects.toThrowError(/tokens\.0\.hash/);
    current = 'not json';
    await expect(authenticate(source, 'Bearer c1')).rejects.toBeInstanceOf(ConfigError);
    // One name with two roles is refused: a client name means one set of transactions and one role.
    current = JSON.stringify({ hashKey, tokens: [entry('c1', 'team-a', 'client'), entry('a1', 'team-a', 'admin')] });
    await expect(authenticate(source, 'Bearer c1')).rejects.toThrowError(/tokens\.1\.role/);
    current = secret;
    expect(await authenticate(source, 'Bearer c1')).toEqual({ client: 'team-a', role: 'client' });
    expect(fake.reads).toBe(4);
  });
});

describe('createTokenSource', () => {
  it('uses API_TOKEN (client default), API_TOKENS (named clients) and ADMIN_TOKEN (admin) locally', async () => {
    const source = createTokenSource(
      loadConfig({
        API_TOKEN: 'my-client-token',
        ADMIN_TOKEN: 'my-admin-token',
        API_TOKENS: 'team-a:team-a-token-1, team-a:team-a-token-2,team-b:team-b-token-1',
      }),
    );
    expect(await authenticate(source, 'Bearer my-admin-token')).toEqual({ client: 'admin', role: 'admin' });
    expect(await authenticate(source, 'Bearer my-client-token')).toEqual({ client: 'default', role: 'client' });
    expect(await authenticate(source, 'Bearer team-a-token-2')).toEqual({ client: 'team-a', role: 'client' });
    expect(await authenticate(source, 'Bearer team-b-token-1')).toEqual({ client: 'team-b', role: 'client' });
    await expect(authenticate(source, 'Bearer dev-client-token')).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it.each([
    ['team-a', /name:token/],
    ['admin:some-long-token', /local admin/],
    ['bad name:some-long-token', /name of pair 1/],
    ['team-a:short', /at least 8/],
    ['team-a:same-token-1,team-b:same-token-1', /twice/],
    ['team-a:my-admin-token', /differ from API_TOKEN and ADMIN_TOKEN/],
  ])('refuses API_TOKENS %j, naming the variable and never the token', (value, why) => {
    try {
      loadConfig({ ADMIN_TOKEN: 'my-admin-token', API_TOKENS: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).toMatch(/API_TOKENS/);
      expect(String(error)).toMatch(why);
      for (const secret of ['some-long-token', 'same-token-1', 'my-admin-token']) {
        expect(String(error)).not.toContain(secret);
      }
    }
  });

  it('refuses the public dev tokens on Lambda', () => {
    expect(() => createTokenSource(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'api' }))).toThrowError(ConfigError);
    // Moved into API_TOKENS, a public token is still refused.
    expect(() =>
      createTokenSource(
        loadConfig({
          AWS_LAMBDA_FUNCTION_NAME: 'api',
          API_TOKEN: 'real-client-tok',
          ADMIN_TOKEN: 'real-admin-tok',
          API_TOKENS: 'team-a:dev-client-token',
        }),
      ),
    ).toThrowError(ConfigError);
    expect(() =>
      createTokenSource(
        loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'api', API_TOKEN: 'real-client-tok', ADMIN_TOKEN: 'real-admin-tok' }),
      ),
    ).not.toThrow();
  });

  it('refuses one token for both roles, and short tokens, without echoing them', () => {
    expect(() => loadConfig({ API_TOKEN: 'same-token-x', ADMIN_TOKEN: 'same-token-x' })).toThrowError(/ADMIN_TOKEN/);
    try {
      loadConfig({ API_TOKEN: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/API_TOKEN/);
      expect(String(error)).not.toContain('short');
    }
  });
});

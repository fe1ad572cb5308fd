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

const local = createLocalTokenSource({ client: 'client-token-1', admin: 'admin-token-1' });
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
  it('gives each token its role', async () => {
    expect(await authenticate(local, 'Bearer client-token-1')).toBe('client');
    expect(await authenticate(local, 'bearer   admin-token-1')).toBe('admin');
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
    expect(await check(event('Bearer client-token-1'), 'client')).toBe('client');
    expect(await check(event('Bearer admin-token-1'), 'client')).toBe('admin');
    expect(await check(event('Bearer admin-token-1'), 'admin')).toBe('admin');
    await expect(check(event('Bearer client-token-1'), 'admin')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(check(event(), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('authorizer: trusts only the role the Lambda authorizer put on the event, never a header', async () => {
    const check = createAccessCheck({ mode: 'authorizer' });
    const allowed = (role: string) => ({ authorizer: { lambda: { role } } });
    expect(await check(event(undefined, allowed('client')), 'client')).toBe('client');
    await expect(check(event(undefined, allowed('client')), 'admin')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(check(event('Bearer admin-token-1', {}), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(check(event(undefined, allowed('root')), 'client')).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('createSecretsTokenSource', () => {
  const secret = JSON.stringify({ client: [hashToken('c1'), hashToken('c2').toUpperCase()], admin: [hashToken('a1')] });

  it('reads the hashes once per 5 minutes, however many requests come at once', async () => {
    let now = 0;
    const fake = fakeSecrets(() => secret);
    const source = createSecretsTokenSource(asClient(fake), 'arn:secret', { now: () => now });
    await Promise.all(Array.from({ length: 20 }, () => authenticate(source, 'Bearer c1')));
    expect(await authenticate(source, 'Bearer c2')).toBe('client');
    expect(await authenticate(source, 'Bearer a1')).toBe('admin');
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
    expect(await authenticate(source, 'Bearer c1')).toBe('client');
    current = JSON.stringify({ client: [hashToken('c3')], admin: [] });
    now = 10 * 60_000;
    await expect(authenticate(source, 'Bearer c1')).rejects.toBeInstanceOf(UnauthorizedError);
    expect(await authenticate(source, 'Bearer c3')).toBe('client');
  });

  it('fails closed on a malformed secret, without caching the failure', async () => {
    let current = '{"client": ["not-a-hash"]}';
    const fake = fakeSecrets(() => current);
    const source = createSecretsTokenSource(asClient(fake), 'arn:secret');
    await expect(authenticate(source, 'Bearer c1')).rejects.toThrowError(/client\.0/);
    current = 'not json';
    await expect(authenticate(source, 'Bearer c1')).rejects.toBeInstanceOf(ConfigError);
    current = secret;
    expect(await authenticate(source, 'Bearer c1')).toBe('client');
    expect(fake.reads).toBe(3);
  });
});

describe('createTokenSource', () => {
  it('uses API_TOKEN and ADMIN_TOKEN locally', async () => {
    const source = createTokenSource(loadConfig({ API_TOKEN: 'my-client-token', ADMIN_TOKEN: 'my-admin-token' }));
    expect(await authenticate(source, 'Bearer my-admin-token')).toBe('admin');
    await expect(authenticate(source, 'Bearer dev-client-token')).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('refuses the public dev tokens on Lambda', () => {
    expect(() => createTokenSource(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'api' }))).toThrowError(ConfigError);
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

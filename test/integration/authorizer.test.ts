import { createServer, type Server } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../functions/lib/auth/hashToken.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { jsonLinesOf } from '../support/emfOf.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

/**
 * The AWS shape of auth: API Gateway calls the Lambda authorizer, which reads token hashes from a
 * Secrets Manager secret (here a loopback server speaking its JSON protocol), and passes the caller to
 * the api running with AUTH_MODE=authorizer.
 */

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const secretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:api-tokens-AbCdEf';
const hashKey = 'the-stack-generated-hash-key';
const secret = {
  hashKey,
  tokens: [
    { hash: hashToken(hashKey, 'aws-client-token'), client: 'team-a', role: 'client' },
    { hash: hashToken(hashKey, 'aws-admin-token'), client: 'ops', role: 'admin' },
  ],
};

let secrets: Server;
const reads: Array<{ target: string; secretId: string }> = [];
let stack: TestStack;
let authorizer: typeof import('../../functions/authorizer.ts')['handler'];
let api: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
/** How many times the api handler ran: what API Gateway kept from it is not run. */
let apiInvocations = 0;

function authorizerEvent(authorization?: string): APIGatewayRequestAuthorizerEventV2 {
  const base = apiEvent('POST', '/transactions');
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:000000000000:api/$default/POST/transactions',
    identitySource: authorization ? [authorization] : [],
    routeKey: 'POST /transactions',
    rawPath: '/transactions',
    rawQueryString: '',
    cookies: [],
    headers: authorization ? { authorization } : {},
    requestContext: base.requestContext,
  };
}

beforeAll(async () => {
  secrets = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const secretId = JSON.parse(body || '{}').SecretId;
      reads.push({ target: String(req.headers['x-amz-target']), secretId });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({ ARN: secretArn, Name: 'api-tokens', SecretString: JSON.stringify(secret), VersionId: 'v1' }),
      );
    });
  });
  await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
  const address = secrets.address();
  if (!address || typeof address === 'string') throw new Error('no port');

  stack = await startTestStack();
  Object.assign(process.env, stack.env, {
    BROADCAST_WAIT_MS: '0',
    AUTH_MODE: 'authorizer',
    // The authorizer's denial is an INFO line (read below).
    LOG_LEVEL: 'INFO',
    TOKEN_SECRET_ARN: secretArn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${address.port}`,
  });
  authorizer = (await import('../../functions/authorizer.ts')).handler;
  const apiModule = await import('../../functions/api.ts');
  api = (e) => {
    apiInvocations += 1;
    return apiModule.handler(e, {} as Context) as Promise<APIGatewayProxyStructuredResultV2>;
  };
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => secrets?.close(resolve));
});

describe('the Lambda authorizer', () => {
  it('allows the tokens whose hashes are in the secret, with their client and role', async () => {
    expect(await authorizer(authorizerEvent('Bearer aws-client-token'))).toEqual({
      isAuthorized: true,
      context: { client: 'team-a', role: 'client' },
    });
    expect(await authorizer(authorizerEvent('Bearer aws-admin-token'))).toEqual({
      isAuthorized: true,
      context: { client: 'ops', role: 'admin' },
    });
  });

  it('denies a missing, malformed or unknown token, and the dev tokens', async () => {
    for (const header of [undefined, 'Bearer', 'Basic x', 'Bearer aws-client-tokens', 'Bearer dev-client-token']) {
      expect(await authorizer(authorizerEvent(header))).toEqual({ isAuthorized: false });
    }
  });

  it('says why it denied a request, on a line with the invocation’s request id and cold start, never the token', async () => {
    const context = { awsRequestId: 'auth-req-1', functionName: 'authorizer', memoryLimitInMB: '256' } as Context;
    const lines = await jsonLinesOf(() => authorizer(authorizerEvent('Bearer not-a-known-token'), context));
    const denied = lines.filter((l) => l.message === 'request denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ function_request_id: 'auth-req-1', cold_start: expect.any(Boolean) });
    expect(JSON.stringify(lines)).not.toContain('not-a-known-token');
  });

  it('read the secret once, by its ARN, for all of the above (cached 5 minutes)', async () => {
    await Promise.all(Array.from({ length: 10 }, () => authorizer(authorizerEvent('Bearer aws-client-token'))));
    expect(reads).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: secretArn }]);
  });
});

describe('the api behind the authorizer (AUTH_MODE=authorizer)', () => {
  /**
   * API Gateway's part: it asks the authorizer; a denial it answers itself with a 403, and an
   * allowed request goes on to the api with the authorizer's context in place of the token.
   */
  async function throughGateway(authorization: string | undefined, body: unknown) {
    const decision = await authorizer(authorizerEvent(authorization));
    if (decision.isAuthorized !== true) return { decision, statusCode: 403 };
    const event = apiEvent('POST', '/transactions', body, { prefer: 'respond-async' });
    delete event.headers.authorization;
    Object.assign(event.requestContext, { authorizer: { lambda: 'context' in decision ? decision.context : {} } });
    const answer = await api(event);
    return { decision, statusCode: answer.statusCode, body: JSON.parse(answer.body ?? 'null') };
  }

  it('takes the caller from the authorizer context: the transaction is its client’s', async () => {
    const res = await throughGateway('Bearer aws-client-token', { to });
    expect(res).toMatchObject({ decision: { isAuthorized: true }, statusCode: 202 });
    expect(res.body?.client).toBe('team-a');
  });

  it('never trusts an Authorization header on its own: no authorizer context is a 401', async () => {
    const event = apiEvent('POST', '/transactions', { to }, { authorization: 'Bearer aws-admin-token' });
    const res = await api(event);
    expect(res.statusCode).toBe(401);
  });

  it('a denied request never reaches the api; an allowed one does, once', async () => {
    // prepare
    const before = apiInvocations;
    // act
    const denied = await throughGateway('Bearer nope', { to });
    const ranForDenied = apiInvocations - before;
    const allowed = await throughGateway('Bearer aws-client-token', { to });
    // assess
    expect(ranForDenied, 'api invocations for the denied request').toBe(0);
    expect(denied).toMatchObject({ decision: { isAuthorized: false }, statusCode: 403 });
    expect(apiInvocations - before, 'api invocations for both').toBe(1);
    expect(allowed.statusCode).toBe(202);
  });
});

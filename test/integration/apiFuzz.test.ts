import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEvent } from '../support/apiEvent.ts';
import { type Answer, callApi, sendEvent } from '../support/callApi.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asClient, testTokens, tokenEnv } from '../support/tokens.ts';

/**
 * Hostile input: thousands of random and mutated bodies, headers, methods and paths, straight into
 * the api handler. Never a 5xx; every refusal in the error shape, naming a field; and in the end the
 * table and the queue hold exactly the transactions that were accepted, nothing for what was refused.
 */

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const fields = ['to', 'value', 'data', 'function', 'args', 'chainId', 'gas'] as const;

let stack: TestStack;
let api: Handlers['api'];
let checker: OpenApiChecker;
const accepted = new Set<string>();
let before: { rows: number; messages: number };

/** Sends one event and checks what holds for every answer; remembers the ids of accepted transactions. */
async function send(event: APIGatewayProxyEventV2): Promise<Answer> {
  const res = await sendEvent(api, event, checker);
  const { status, body } = res;
  expect(status, JSON.stringify(body)).toBeLessThan(500);
  if (status >= 400) {
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error.code).toBe('string');
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/); // never a stack trace
    if (status === 400) {
      expect(body.error.details.length).toBeGreaterThan(0);
      for (const d of body.error.details) {
        expect(d.path.length).toBeGreaterThan(0);
        expect(d.message.length).toBeGreaterThan(0);
      }
    }
  } else if (event.requestContext.http.method === 'POST') {
    expect([200, 202, 422]).toContain(status);
    accepted.add(body.id);
  }
  return res;
}

/** Counts the statuses a property's runs were answered with, so a test can say that each case it checks happened. */
function statusTally() {
  const counts = new Map<number, number>();
  return {
    saw(status: number) {
      counts.set(status, (counts.get(status) ?? 0) + 1);
    },
    of: (status: number) => counts.get(status) ?? 0,
  };
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  apiEvent('POST', '/transactions', body, { ...asClient, prefer: 'respond-async', ...headers });

/** Any JSON value, including the awkward ones: huge numbers, unicode, deep nesting, numeric-looking strings. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('', '0', '-0', '0x', '0x0', '00', '1e3', ' 1', '1 ', '0x1g', 'NaN', 'Infinity', '__proto__'),
  fc.constantFrom(1e308, -1, 2 ** 53, 0.5, Number.MAX_SAFE_INTEGER + 2, true, null),
  fc.bigInt({ min: 0n, max: 2n ** 300n }).map((n) => n.toString()),
  fc.bigInt({ min: 0n, max: 2n ** 300n }).map((n) => `0x${n.toString(16)}`),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(to.toLowerCase(), to.toUpperCase().replace('0X', '0x'), `${to}00`, to.slice(0, 41)),
);

/** A valid request, to mutate. */
const validBody = fc.record(
  {
    to: fc.constant(to),
    value: fc.bigInt({ min: 0n, max: 10n ** 6n }).map(String),
    data: fc.constantFrom('0x', '0xdeadbeef'),
    // Enough for any data above (0xdeadbeef needs 21064) and for a call of the functions below.
    gas: fc.constantFrom('22000', '0x55f0', '100000'),
    chainId: fc.constant(31337),
  },
  { requiredKeys: ['to'] },
);

beforeAll(async () => {
  stack = await startTestStack();
  ({ api } = await loadHandlers(stack, tokenEnv));
  checker = openApiChecker((await callApi(api, 'GET', '/openapi.json')).body);
  before = await tableCounts(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('hostile input never gets a 5xx, and every refusal names a field', () => {
  it('a valid body with one field set to anything: a 400 names that field', async () => {
    const tally = statusTally();
    await fc.assert(
      fc.asyncProperty(validBody, fc.constantFrom(...fields), anyValue, async (body, field, value) => {
        const res = await send(post({ ...body, [field]: value }));
        tally.saw(res.status);
        // 422: a value (or gas) more than the signer holds, refused by the balance guard before any write.
        expect([202, 400, 422]).toContain(res.status);
        if (res.status === 422) expect(res.body.error.code).toBe('insufficient_balance');
        if (res.status === 400)
          expect(res.body.error.details.map((d: { path: string }) => d.path.split('.')[0])).toContain(field);
      }),
      { numRuns: 2000 },
    );
    // Most of anything is not a valid value: the refusals above were seen, not assumed.
    expect(tally.of(400)).toBeGreaterThan(1000);
    expect(tally.of(202)).toBeGreaterThan(0);
  });

  it('an unknown field: a 400 names it', async () => {
    const unknown = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((k) => !(fields as readonly string[]).includes(k));
    await fc.assert(
      fc.asyncProperty(validBody, unknown, anyValue, async (body, key, value) => {
        const res = await send(post({ ...body, [key]: value }));
        expect(res.status).toBe(400);
        expect(res.body.error.details).toContainEqual({ path: key, message: 'unknown field' });
      }),
      { numRuns: 300 },
    );
  });

  it('function and args of any shape: a 400 names function or an argument', async () => {
    const signature = fc.oneof(
      fc.constantFrom(
        'transfer(address to, uint256 amount)',
        'f(uint8)',
        'f(bool,string)',
        'f((uint256,address)[])',
        'f(bytes32[2])',
        'f(int256)',
        'function f(bytes) returns (bool)',
        'event E(uint256)',
        'f(',
        `f(${'uint256[]'.repeat(20)})`,
      ),
      fc.string({ maxLength: 60 }),
    );
    const tally = statusTally();
    await fc.assert(
      fc.asyncProperty(signature, fc.array(anyValue, { maxLength: 3 }), async (fn, args) => {
        const res = await send(post({ to, function: fn, args }));
        tally.saw(res.status);
        expect([202, 400]).toContain(res.status);
        if (res.status === 400) {
          for (const d of res.body.error.details) expect(d.path).toMatch(/^(function|args(\.\d+)*)$/);
        }
      }),
      { numRuns: 800 },
    );
    expect(tally.of(400)).toBeGreaterThan(400);
  });

  it('any body at all, as JSON, as text, or as bytes', async () => {
    const text = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom(
        '{',
        '{"to":',
        'null',
        '[]',
        '""',
        '{"to":"0x"}'.repeat(3),
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (raw, asBytes) => {
        const event = post(raw);
        if (asBytes) Object.assign(event, { body: Buffer.from(raw).toString('base64'), isBase64Encoded: true });
        const res = await send(event);
        expect([202, 400]).toContain(res.status);
      }),
      { numRuns: 800 },
    );
  });

  it('any headers: content type, Prefer, Idempotency-Key, Authorization', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/vnd.api+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
      ),
      fc.string({ maxLength: 30 }),
    );
    const prefer = fc.oneof(
      fc.constantFrom('respond-async', 'wait=0', 'wait=-1', 'wait=abc', 'respond-async, wait=10', 'wait', ''),
      fc.string({ maxLength: 30 }).filter((s) => !/wait\s*=\s*"?\s*[1-9]/i.test(s)),
    );
    const key = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 300 }), fc.uuid());
    const token = testTokens.client;
    const auth = fc.oneof(
      fc.constant(`Bearer ${token}`),
      fc.constantFrom('', 'Bearer', `bearer ${token}`, `Bearer  ${token} `, `Basic ${token}`, `Bearer ${token}x`),
      fc.string({ maxLength: 100 }),
    );
    await fc.assert(
      fc.asyncProperty(validBody, contentType, prefer, key, auth, async (body, type, pref, idemKey, authorization) => {
        const headers: Record<string, string> = { 'content-type': type, prefer: pref, authorization };
        if (idemKey !== undefined) headers['idempotency-key'] = idemKey;
        const res = await send(apiEvent('POST', '/transactions', body, headers));
        const valid = new RegExp(`^bearer +${token} *$`, 'i').test(authorization);
        if (!valid) expect(res.status).toBe(401);
        if (res.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }),
      { numRuns: 800 },
    );
  });

  it('any method and path: an unknown route is 404, another method 405, an admin route 403 to a client; never a 5xx', async () => {
    const method = fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
      fc.stringMatching(/^[A-Z]{1,10}$/),
    );
    const segment = fc.oneof(
      fc.constantFrom(
        'transactions',
        'rebroadcast',
        'health',
        'openapi.json',
        '',
        '..',
        '%2F',
        '%00',
        '{id}',
        '__proto__',
        'constructor',
      ),
      fc.webSegment(),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
      fc.constant('x'.repeat(3000)),
    );
    const anyPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
    // The api's own paths (the admin page's HTML aside), with anything for an id: a random path seldom hits one.
    const ownPath = fc
      .tuple(
        fc.constantFrom(
          '/transactions',
          '/transactions/{id}',
          '/transactions/{id}/rebroadcast',
          '/health',
          '/openapi.json',
        ),
        segment,
      )
      .map(([template, id]) => template.replace('{id}', id));
    const path = fc.oneof(anyPath, ownPath);
    const tally = statusTally();
    await fc.assert(
      fc.asyncProperty(method, path, async (m, p) => {
        const res = await send(
          apiEvent(m, p, m === 'POST' ? { to } : undefined, { ...asClient, prefer: 'respond-async' }),
        );
        tally.saw(res.status);
        // The token is checked only once a route and its method matched: a miss is 404 or 405 whatever the token.
        const route = checker.route(m, p);
        if (!route) {
          expect(res.status, `${m} ${p}`).toBe(404);
        } else if (!route.operation) {
          expect(res.status, `${m} ${p}`).toBe(405);
          expect(res.headers.allow).toBe(route.methods.join(', '));
        } else if (route.operation['x-required-role'] === 'admin') {
          expect(res.status, `${m} ${p}`).toBe(403);
        }
      }),
      { numRuns: 800 },
    );
    expect(tally.of(404)).toBeGreaterThan(0);
    expect(tally.of(405)).toBeGreaterThan(0);
    expect(tally.of(403)).toBeGreaterThan(0);
  });
});

describe('after all of it', () => {
  it('the table and the queue hold exactly the accepted transactions', async () => {
    expect(accepted.size).toBeGreaterThan(0);
    expect(await tableCounts(stack)).toEqual({
      rows: before.rows + accepted.size,
      messages: before.messages + accepted.size,
    });
  });
});

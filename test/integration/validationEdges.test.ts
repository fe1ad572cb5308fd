import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEvent } from '../support/apiEvent.ts';
import { type Answer, callApi, sendEvent } from '../support/callApi.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asClient, tokenEnv } from '../support/tokens.ts';

/**
 * Requests the chain would refuse anyway, or that mean something other than what the client sent,
 * through the real api handler against the emulators: each is a 4xx that names what is wrong, and
 * leaves no row in the table and no message in the queue.
 */

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

let stack: TestStack;
let api: Handlers['api'];
let checker: OpenApiChecker;

/** A `POST /transactions` of `body` (sent as is when a string) with the client's token, answered at once. */
const post = (body: unknown, headers: Record<string, string> = {}) =>
  apiEvent('POST', '/transactions', body, { ...asClient, prefer: 'respond-async', ...headers });

/** Sends `event`, which must be answered with `status`; the table and the queue must not have moved. */
async function refused(event: APIGatewayProxyEventV2, status: number): Promise<Answer> {
  // prepare
  const before = await tableCounts(stack);
  // act
  const res = await sendEvent(api, event, checker);
  // assess
  expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(status);
  expect(await tableCounts(stack)).toEqual(before);
  return res;
}

/** The paths a 400 names. */
const pathsOf = (res: Answer): string[] => res.body.error.details.map((d: { path: string }) => d.path);

beforeAll(async () => {
  stack = await startTestStack();
  // The bounds of validation alone: gas 2^64-1 at any fee is more than the signer holds, which the balance guard refuses (422).
  ({ api } = await loadHandlers(stack, { ...tokenEnv, BALANCE_GUARD: 'off' }));
  checker = openApiChecker((await callApi(api, 'GET', '/openapi.json')).body);
});

afterAll(async () => {
  await stack?.stop();
});

describe('gas a transaction cannot carry', () => {
  it.each([
    ['1', 'below the 21000 of a plain transfer: it would take a nonce and cost a filler'],
    ['20999', 'one below'],
    [`0x1${'0'.repeat(16)}`, '2^64: no node decodes it'],
    [(2n ** 256n - 1n).toString(), '2^256-1: signed, undecodable, three attempts and a filler'],
  ])('gas %s (%s) is a 400 naming gas, with the bounds', async (gas) => {
    const res = await refused(post({ to, gas }), 400);
    expect(res.body.error.details).toEqual([
      { path: 'gas', message: 'must be at least 21000 and at most 18446744073709551615 (2^64-1)' },
    ]);
  });

  it('the bounds themselves are accepted (and counted: the check above would see a row)', async () => {
    for (const gas of ['21000', `0x${'f'.repeat(16)}`]) {
      const before = await tableCounts(stack);
      const res = await sendEvent(api, post({ to, gas }), checker);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(await tableCounts(stack)).toEqual({ rows: before.rows + 1, messages: before.messages + 1 });
    }
  });
});

describe('a body that is not plainly JSON', () => {
  it('a body without Content-Type is 415, however well it parses', async () => {
    const event = post({ to });
    delete event.headers['content-type'];
    const res = await refused(event, 415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('a gzip body is 415 saying the encoding is not accepted, with Accept-Encoding: identity', async () => {
    const event = post({ to }, { 'content-encoding': 'gzip' });
    Object.assign(event, { body: gzipSync(JSON.stringify({ to })).toString('base64'), isBase64Encoded: true });
    const res = await refused(event, 415);
    expect(res.body.error.code).toBe('unsupported_content_encoding');
    expect(res.body.error.message).toMatch(/^Content-Encoding gzip is not accepted/);
    expect(res.headers['accept-encoding']).toBe('identity');
  });

  it('a key given twice is a 400 naming it, not the last one silently', async () => {
    const res = await refused(post(`{"to":"${to}","value":"1","value":"2"}`), 400);
    expect(res.body.error.details).toEqual([{ path: 'value', message: 'is given more than once: give each key once' }]);
  });

  it('a key given twice in a nested object is named by its dotted path', async () => {
    const body = `{"to":"${to}","function":"f((uint256 x))","args":[{"x":"1","x":"2"}]}`;
    expect(pathsOf(await refused(post(body), 400))).toEqual(['args.0.x']);
  });

  it('a key given twice far down is not named by a path as long as the body: the body nests too deep', async () => {
    const depth = 20_000;
    const body = `${'{"a":'.repeat(depth)}{"x":1,"x":2}${'}'.repeat(depth)}`;
    const res = await refused(post(body), 400);
    expect(res.body.error.details).toEqual([{ path: 'body', message: 'must nest at most 32 levels deep' }]);
  });
});

describe('text that is not well-formed Unicode', () => {
  it('a string argument with a lone surrogate is a 400 naming it, not stored as given while U+FFFD is signed', async () => {
    // The escape is JSON's: the body is ASCII, JSON.parse makes the lone surrogate.
    const body = `{"to":"${to}","function":"setName(uint256 id, string name)","args":["1","a\\ud800"]}`;
    const res = await refused(post(body), 400);
    expect(pathsOf(res)).toEqual(['args.1']);
    expect(res.body.error.details[0].message).toMatch(/well-formed Unicode/);
  });

  it('a function signature with a lone surrogate is a 400 naming function', async () => {
    const res = await refused(post(`{"to":"${to}","function":"f(string)\\udc00","args":["a"]}`), 400);
    expect(res.body.error.details).toEqual([{ path: 'function', message: expect.stringMatching(/well-formed/) }]);
  });
});

describe('a 400 of many issues', () => {
  it('a body of 10 000 unknown keys gets a short answer: 20 of them, and how many more', async () => {
    // prepare: within 128 KiB
    const keys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 0]));
    const body = JSON.stringify({ to, ...keys });
    expect(Buffer.byteLength(body)).toBeLessThan(128 * 1024);
    // act
    const res = await refused(post(body), 400);
    // assess: it was 498 KB
    expect(res.body.error.details).toHaveLength(20);
    expect(res.body.error.message).toMatch(/\(and 9980 more issues, not listed: at most 20 are\)$/);
    expect(JSON.stringify(res.body).length).toBeLessThan(4096);
  });
});

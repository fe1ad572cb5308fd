import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRequest } from '../../functions/lib/api/hashRequest.ts';
import { rebroadcastIdOf } from '../../functions/lib/api/rebroadcastIdOf.ts';
import { encodeCall } from '../../functions/lib/transactions/encodeCall.ts';
import { normalizeRequest, transactionRequestSchema } from '../../functions/lib/transactions/requestSchema.ts';
import { type Answer, callApi } from '../support/callApi.ts';
import { deliver } from '../support/deliver.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asAdmin as admin, asClient as client, tokenEnv } from '../support/tokens.ts';

/** The client the test client token names (loadHandlers sets API_TOKEN: client `default`); keys are kept under it. */
const clientName = 'default';
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

let stack: TestStack;
let api: Handlers['api'];
let checker: OpenApiChecker;
let broadcaster: Handlers['broadcaster'];
let updater: Handlers['updater'];

/** Calls the api as `client` unless told otherwise; every answer must be one its OpenAPI document describes. */
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = client) =>
  callApi(api, method, path, { body, headers, checker });

/** Runs the broadcaster and the updater, as their event source mappings would, until `done` settles. */
async function pumpWhile<T>(done: Promise<T>): Promise<T> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    await deliver(stack.sqs, stack.queues.requests, broadcaster);
    await deliver(stack.sqs, stack.queues.responses, updater);
    await sleep(20);
  }
  return done;
}

beforeAll(async () => {
  stack = await startTestStack();
  ({ api, broadcaster, updater } = await loadHandlers(stack, { ...tokenEnv, BALANCE_GUARD: 'off' }));
  checker = openApiChecker((await callApi(api, 'GET', '/openapi.json')).body);
});

afterAll(async () => {
  await stack?.stop();
});

describe('open routes', () => {
  it('GET /openapi.json: an OpenAPI 3.1 document of every route, with its role and its answers', async () => {
    const doc = await call('GET', '/openapi.json', undefined, {});
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths).sort()).toEqual([
      '/admin',
      '/admin/health',
      '/admin/signers',
      '/health',
      '/openapi.json',
      '/transactions',
      '/transactions/{id}',
      '/transactions/{id}/cancel',
      '/transactions/{id}/events',
      '/transactions/{id}/rebroadcast',
    ]);
    const post = doc.body.paths['/transactions'].post;
    expect(post['x-required-role']).toBe('client');
    expect(post.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(post.responses).sort()).toEqual([
      '200',
      '202',
      '400',
      '401',
      '409',
      '413',
      '415',
      '422',
      '500',
      '503',
    ]);
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(['Idempotency-Key', 'Prefer']);
    // Generated from the zod schema the route validates with: its fields, defaults and strictness.
    const request = doc.body.components.schemas.TransactionRequest;
    expect(Object.keys(request.properties).sort()).toEqual([
      'args',
      'callbackUrl',
      'chainId',
      'data',
      'from',
      'function',
      'gas',
      'to',
      'validUntil',
      'value',
    ]);
    expect(request.properties.validUntil).toMatchObject({ type: 'string', format: 'date-time' });
    expect(request.additionalProperties).toBe(false);
    expect(request.required).toEqual(['to']);
    expect(doc.body.paths['/health'].get.security).toEqual([]);
  });

  it('GET /health needs no token', async () => {
    const health = await call('GET', '/health', undefined, {});
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
  });
});

describe('auth', () => {
  it('401 without a token, and with one that is not valid, with WWW-Authenticate', async () => {
    const none = await call('POST', '/transactions', { to }, {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const wrong = await call('GET', '/transactions/abc', undefined, { authorization: 'Bearer nope-nope-nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.stringify(wrong.body)).not.toContain('nope-nope-nope');
  });

  it('403 for a client token on an admin route; an admin token may use every route', async () => {
    const before = await tableCounts(stack);
    const rebroadcast = `/transactions/${rebroadcastIdOf('no-such-transaction')}/rebroadcast`;
    for (const [method, path] of [
      ['GET', '/transactions'],
      ['POST', rebroadcast],
    ] as const) {
      const forbidden = await call(method, path, undefined, client);
      expect(forbidden.status, `${method} ${path} as a client`).toBe(403);
      expect(forbidden.body.error.code).toBe('forbidden');
      expect((await call(method, path, undefined, {})).status, `${method} ${path} without a token`).toBe(401);
    }
    // Past the role check, each admin route answers for itself: the listing, and no such transaction.
    expect((await call('GET', '/transactions', undefined, admin)).status).toBe(200);
    expect((await call('POST', rebroadcast, undefined, admin)).status).toBe(404);
    expect(await tableCounts(stack)).toEqual(before);
    expect((await call('POST', '/transactions', { to }, { ...admin, prefer: 'respond-async' })).status).toBe(202);
  });
});

describe('POST /transactions answers', () => {
  it('202 with Location when it has not finished (Prefer: respond-async answers at once)', async () => {
    const res = await call('POST', '/transactions', { to, value: '1' }, { ...client, prefer: 'respond-async' });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/transactions/${res.body.id}`);
    expect(res.headers['preference-applied']).toBe('respond-async');
    expect(res.body).toMatchObject({ status: 'pending', message: expect.stringMatching(/\w/) });
    const read = await call('GET', res.headers.location ?? '');
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(res.body.id);
  });

  it('200 with the hash once broadcast within the wait', async () => {
    const res = await pumpWhile(call('POST', '/transactions', { to, value: '2' }, { ...client, prefer: 'wait=20' }));
    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=20');
    expect(res.body).toMatchObject({ status: 'success', txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(res.body.message).toMatch(/\w/);
  });

  it("422 with the node's reason when the chain refuses it for good within the wait", async () => {
    // More than the signer holds: signed, and refused by the node for good (a gas limit too low is a 400 now).
    const value = (10n ** 30n).toString();
    const res = await pumpWhile(
      call('POST', '/transactions', { to, value, gas: '21000' }, { ...client, prefer: 'wait=20' }),
    );
    expect(res.status).toBe(422);
    expect(res.body.status).toBe('failed');
    expect(res.body.message).toMatch(/insufficient funds/i);
  });

  it('encodes function and args, and stores both forms', async () => {
    const body = { to, function: 'transfer(address to, uint256 amount)', args: [to.toLowerCase(), 1000] };
    const res = await call('POST', '/transactions', body, { ...client, prefer: 'respond-async' });
    expect(res.status).toBe(202);
    const expected = encodeCall('transfer(address,uint256)', [to, 1000]);
    expect(res.body).toMatchObject({ data: expected.data, function: body.function, args: [to, '1000'] });
    const item = (
      await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${res.body.id}` } }))
    ).Item;
    expect(item).toMatchObject({ data: expected.data, function: body.function, args: [to, '1000'] });
  });
});

describe('refusals: each in the error shape, and none leaves a row or a message', () => {
  const big = JSON.stringify({ to, data: `0x${'00'.repeat(70 * 1024)}` });
  const cases: Array<[string, string, string, unknown, Record<string, string>, number, string[]]> = [
    [
      'a bad address and a negative value',
      'POST',
      '/transactions',
      { to: '0x12', value: '-1' },
      client,
      400,
      ['to', 'value'],
    ],
    [
      'a wrong checksum',
      'POST',
      '/transactions',
      { to: '0x70997970c51812dc3A010C7d01b50e0d17dc79C8' },
      client,
      400,
      ['to'],
    ],
    ['odd-length hex', 'POST', '/transactions', { to, data: '0x123' }, client, 400, ['data']],
    ['gas above uint256', 'POST', '/transactions', { to, gas: `0x1${'0'.repeat(64)}` }, client, 400, ['gas']],
    ['an unknown field', 'POST', '/transactions', { to, nonce: 1 }, client, 400, ['nonce']],
    ['an unknown chain', 'POST', '/transactions', { to, chainId: 1 }, client, 400, ['chainId']],
    ['data and function', 'POST', '/transactions', { to, data: '0x', function: 'f()' }, client, 400, ['function']],
    ['a wrong argument', 'POST', '/transactions', { to, function: 'f(uint8)', args: [300] }, client, 400, ['args.0']],
    ['an array body', 'POST', '/transactions', [to], client, 400, ['body']],
    ['a body that is not JSON', 'POST', '/transactions', '{"to":', client, 400, ['body']],
    ['an empty body', 'POST', '/transactions', '', client, 400, ['body']],
    [
      'a bad Idempotency-Key',
      'POST',
      '/transactions',
      { to },
      { ...client, 'idempotency-key': 'a b' },
      400,
      ['Idempotency-Key'],
    ],
    ['a body over 128 KiB', 'POST', '/transactions', big, client, 413, []],
    [
      'a body that is not JSON by type',
      'POST',
      '/transactions',
      'to=0x',
      { ...client, 'content-type': 'text/plain' },
      415,
      [],
    ],
    ['a wrong method', 'DELETE', '/transactions', undefined, client, 405, []],
    ['an unknown route', 'GET', '/nope', undefined, client, 404, []],
    ['an unknown id', 'GET', '/transactions/0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d11', undefined, client, 404, []],
    ['an id that cannot be ours', 'GET', `/transactions/${'x'.repeat(3000)}`, undefined, client, 404, []],
    ['no token', 'POST', '/transactions', { to }, {}, 401, []],
  ];

  const names = (res: Answer, name: string) => res.body.error.details.some((d: { path: string }) => d.path === name);

  it.each(cases)('%s', async (_name, method, path, body, headers, status, fields) => {
    const before = await tableCounts(stack);
    const res = await call(method, path, body, headers);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toMatch(/\w/);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(fields);
    for (const path of fields.filter((f) => f !== 'body')) expect(res.body.error.message).toContain(path);
    if (status === 405) expect(res.headers.allow).toBe('POST, GET');
    if (names(res, 'chainId')) expect(res.body.error.details[0].message).toContain('31337');
    expect(await tableCounts(stack)).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  it('a repeat returns the same transaction, marked as replayed; another body with the key is 409', async () => {
    const key = { ...client, 'idempotency-key': 'order-1', prefer: 'respond-async' };
    const first = await call('POST', '/transactions', { to, value: '0x10' }, key);
    const again = await call('POST', '/transactions', { to, value: '16' }, key); // the same request, spelt otherwise
    expect(first.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const before = await tableCounts(stack);
    const conflict = await call('POST', '/transactions', { to, value: '17' }, key);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');
    expect(await tableCounts(stack)).toEqual(before);
  });

  it('keys are per caller: the same key from another token is another transaction, not a 409', async () => {
    const mine = await call(
      'POST',
      '/transactions',
      { to, value: '21' },
      { ...client, 'idempotency-key': 'shared-1', prefer: 'respond-async' },
    );
    const theirs = await call(
      'POST',
      '/transactions',
      { to, value: '22' },
      { ...admin, 'idempotency-key': 'shared-1', prefer: 'respond-async' },
    );
    expect(mine.status).toBe(202);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
    const again = await call(
      'POST',
      '/transactions',
      { to, value: '21' },
      { ...client, 'idempotency-key': 'shared-1', prefer: 'respond-async' },
    );
    expect(again.body.id).toBe(mine.body.id);
  });

  it('20 concurrent repeats of one key make one transaction and one message, and all name it', async () => {
    const before = await tableCounts(stack);
    const key = { ...client, 'idempotency-key': 'burst-1', prefer: 'respond-async' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => call('POST', '/transactions', { to, value: '3' }, key)),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await tableCounts(stack)).toEqual({ rows: before.rows + 1, messages: before.messages + 1 });
  });

  it('the key is kept 24 hours; an expired key names a new transaction', async () => {
    const key = { ...client, 'idempotency-key': 'old-1', prefer: 'respond-async' };
    const first = await call('POST', '/transactions', { to, value: '4' }, key);
    const record = (
      await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `idem#${clientName}:old-1` } }))
    ).Item;
    const now = Date.now() / 1000;
    expect(record?.expiresAt).toBeGreaterThanOrEqual(now + 24 * 3600 - 5);
    // dynalite has no TTL: an expired record stays, and must count as absent.
    await stack.doc.send(
      new PutCommand({ TableName: stack.tableName, Item: { ...record, expiresAt: Math.floor(now) - 1 } }),
    );
    const later = await call('POST', '/transactions', { to, value: '4' }, key);
    expect(later.body.id).not.toBe(first.body.id);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a repeat completes a first call that bound the key and died before recording the transaction', async () => {
    const request = normalizeRequest(transactionRequestSchema.parse({ to, value: '5' }), 31337);
    const orphan = '7d3c1a52-0a36-4c55-9d2f-3e5b8f7a9c10';
    await stack.doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          pk: `idem#${clientName}:died-1`,
          key: 'died-1',
          requestHash: hashRequest(request),
          transactionId: orphan,
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
        },
      }),
    );
    const before = await tableCounts(stack);
    const res = await call(
      'POST',
      '/transactions',
      { to, value: '5' },
      {
        ...client,
        'idempotency-key': 'died-1',
        prefer: 'respond-async',
      },
    );
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(orphan);
    expect(await tableCounts(stack)).toEqual({ rows: before.rows + 1, messages: before.messages + 1 });
  });
});

describe('validUntil', () => {
  it('a repeat with the same Idempotency-Key after validUntil passed gets the transaction it made, not a 400', async () => {
    const body = { to, value: '33', validUntil: new Date(Date.now() + 1500).toISOString() };
    const key = { ...client, prefer: 'respond-async', 'idempotency-key': 'valid-until-1' };
    const first = await call('POST', '/transactions', body, key);
    expect(first.status).toBe(202);
    await sleep(1700);
    const repeat = await call('POST', '/transactions', body, key);
    expect(repeat.body.id).toBe(first.body.id);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    // Without the key it is a new request, and its validUntil has passed.
    const fresh = await call('POST', '/transactions', body, { ...client, prefer: 'respond-async' });
    expect(fresh.status).toBe(400);
    expect(fresh.body.error.details[0].path).toBe('validUntil');
  });
});

describe('POST /transactions/{id}/cancel', () => {
  it('cancels a transaction not yet signed: 202 at once, 200 once failed, and a repeat answers the same', async () => {
    const posted = await call('POST', '/transactions', { to, value: '31' }, { ...client, prefer: 'respond-async' });
    const id = posted.body.id as string;
    const first = await call('POST', `/transactions/${id}/cancel`, undefined, { ...client, prefer: 'respond-async' });
    expect(first.status).toBe(202);
    expect(first.headers.location).toBe(`/transactions/${id}`);
    expect(first.body.cancel).toMatchObject({ by: clientName, reason: 'requested' });
    // The broadcaster finds it fenced: it reports it failed, and signs nothing.
    const done = await pumpWhile(
      (async () => {
        for (;;) {
          const now = await call('GET', `/transactions/${id}`);
          if (now.body.status === 'failed') return now.body;
          await sleep(20);
        }
      })(),
    );
    expect(done.rawTx).toBeNull();
    expect(done.history.at(-1).error).toBe(`canceled by ${clientName} before it was signed`);
    const again = await call('POST', `/transactions/${id}/cancel`, undefined, admin);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id, status: 'failed', cancel: first.body.cancel });
  });

  it('409 once its outcome is final, 404 for an id that names nothing, 401 without a token', async () => {
    const posted = await call('POST', '/transactions', { to, value: '32' }, { ...client, prefer: 'respond-async' });
    const id = posted.body.id as string;
    // As if the tracker had seen it confirmed: nothing can replace it any more.
    await stack.doc.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          ...(await stack.doc.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${id}` } }))).Item,
          status: 'confirmed',
        },
      }),
    );
    const late = await call('POST', `/transactions/${id}/cancel`);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'not_cancelable' });
    expect(late.body.error.message).toContain('confirmed');
    expect((await call('POST', '/transactions/no-such-id/cancel')).status).toBe(404);
    expect((await call('POST', `/transactions/${id}/cancel`, undefined, {})).status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('every documented answer of every route was seen above, and each matched its schema', () => {
    // 500 is our own fault and 503 an outage: neither can be provoked from outside (POST's 503, a stack not
    // configured yet, is unconfigured.test.ts's).
    // The admin routes' other answers are exercised in adminApi.test.ts and adminSigners.test.ts, the events' in webhooks.test.ts.
    const adminRoutes =
      /^(GET \/transactions|POST \/transactions\/\{id\}\/rebroadcast|GET \/admin|GET \/admin\/signers|GET \/transactions\/\{id\}\/events|GET \/admin\/health) /;
    expect(
      checker.unseen([' 500', 'GET /health 503', 'POST /transactions 503']).filter((k) => !adminRoutes.test(k)),
    ).toEqual([]);
    const roleChecks = [
      'GET /transactions 401',
      'GET /transactions 403',
      'POST /transactions/{id}/rebroadcast 401',
      'POST /transactions/{id}/rebroadcast 403',
    ];
    expect(checker.unseen().filter((k) => roleChecks.includes(k))).toEqual([]);
  });
});

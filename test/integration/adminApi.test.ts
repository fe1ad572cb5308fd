import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebroadcastIdOf } from '../../functions/lib/api/rebroadcastIdOf.ts';
import { anvilDevKey } from '../../functions/lib/config/loadConfig.ts';
import { createTransactionStore, type TransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { type Answer, callApi } from '../support/callApi.ts';
import { deliver } from '../support/deliver.ts';
import { type Handlers, loadHandlers, pump } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asAdmin as admin, asClient as client, tokenEnv } from '../support/tokens.ts';

/** A value the signer cannot pay (a failure the node decides, not a 400); `n` tells the requests apart. */
/** The counts per status of the 25 transactions the listing tests seed (a fifth each failed, success, retrying; the rest pending). */
const seededCounts = { pending: 10, retrying: 5, success: 5, mined: 0, confirmed: 0, reverted: 0, failed: 5 };
const unpayable = (n: number) => (10n ** 30n + BigInt(n)).toString();
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const signer = privateKeyToAccount(anvilDevKey).address;

let stack: TestStack;
let api: Handlers['api'];
let checker: OpenApiChecker;
let store: TransactionStore;
let broadcaster: Handlers['broadcaster'];
let updater: Handlers['updater'];

/** Calls the api as `admin` unless told otherwise; every answer must be one its OpenAPI document describes. */
const call = (method: string, path: string, headers: Record<string, string> = admin, body?: unknown) =>
  callApi(api, method, path, { body, headers, checker });

/** Runs the broadcaster and the updater, as their event source mappings would, until `done()` holds. */
async function pumpUntil(done: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pump(stack, { broadcaster, updater });
    await sleep(20);
  }
}

/** Submits a transaction and runs the pipeline until it has an outcome; returns it. */
async function submitAndSettle(body: Record<string, unknown>) {
  const res = await call('POST', '/transactions', { ...client, prefer: 'respond-async' }, body);
  expect(res.status).toBe(202);
  return settle(res.body.id);
}

async function settle(id: string) {
  await pumpUntil(async () => {
    const tx = await store.get(id);
    return tx?.status === 'success' || tx?.status === 'failed';
  }, `transaction ${id} to settle`);
  return (await call('GET', `/transactions/${id}`)).body;
}

/** Every id in a listing, page after page, with `between()` run before each next page. */
async function pageThrough(query: string, limit: number, between: () => Promise<void> = async () => {}) {
  const pages: Array<Array<{ id: string; createdAt: string; status: string }>> = [];
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '';
    const res = await call('GET', `/transactions?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    pages.push(res.body.items);
    cursor = res.body.cursor;
    if (cursor) await between();
  } while (cursor);
  return pages;
}

/** Puts transactions straight into the table with the given creation times and outcomes. */
async function seed(createdAt: string[], statusOf: (i: number) => 'pending' | 'retrying' | 'success' | 'failed') {
  const ids: string[] = [];
  for (const [i, at] of createdAt.entries()) {
    const id = `seed-${at.replace(/[^0-9]/g, '')}-${i}`;
    await store.create({ id, chainId: 31337, to, value: String(i), data: '0x', message: 'seeded', createdAt: at }, 0);
    const status = statusOf(i);
    if (status !== 'pending') {
      await store.applyOutcome({ id, status, attempt: 1, at, message: `seeded ${status}`, error: 'seeded' }, 0);
    }
    ids.push(id);
  }
  return ids;
}

const minutes = (base: string, n: number) => new Date(Date.parse(base) + n * 60_000).toISOString();

beforeAll(async () => {
  stack = await startTestStack();
  ({ api, broadcaster, updater } = await loadHandlers(stack, {
    ...tokenEnv,
    RETRY_BASE_SECONDS: '0',
    BALANCE_GUARD: 'off',
  }));
  store = createTransactionStore(stack.doc, stack.tableName);
  checker = openApiChecker((await callApi(api, 'GET', '/openapi.json')).body);
});

afterAll(async () => {
  await stack?.stop();
});

describe('auth', () => {
  it('the admin routes need an admin token: 401 without one, 403 for a client token', async () => {
    const before = await tableCounts(stack);
    expect((await call('GET', '/transactions', {})).status).toBe(401);
    const forbidden = await call('GET', '/transactions', client);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    expect((await call('GET', '/transactions', { authorization: 'Bearer not-a-token' })).status).toBe(401);
    const id = rebroadcastIdOf('whatever');
    expect((await call('POST', `/transactions/${id}/rebroadcast`, {})).status).toBe(401);
    expect((await call('POST', `/transactions/${id}/rebroadcast`, client)).status).toBe(403);
    expect(await tableCounts(stack)).toEqual(before);
  });

  it('an admin may read one transaction as a client does', async () => {
    const res = await call('POST', '/transactions', { ...admin, prefer: 'respond-async' }, { to, value: '1' });
    expect(res.status).toBe(202);
    const read = await call('GET', `/transactions/${res.body.id}`, admin);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: res.body.id, history: [] });
  });
});

describe('GET /transactions', () => {
  const day = '2020-01-01T00:00:00.000Z';
  const times = Array.from({ length: 25 }, (_, i) => minutes(day, i));
  const statusOf = (i: number) =>
    i % 5 === 0 ? 'failed' : i % 5 === 1 ? 'success' : i % 5 === 2 ? 'retrying' : 'pending';

  beforeAll(async () => {
    await seed(times, statusOf);
  });

  it('lists newest first, with the counts per status of the time range', async () => {
    const res = await call('GET', '/transactions?from=2020-01-01&to=2020-01-02');
    expect(res.status).toBe(200);
    expect(res.body.items.map((t: { createdAt: string }) => t.createdAt)).toEqual([...times].reverse());
    expect(res.body.cursor).toBeNull();
    expect(res.body.counts).toEqual(seededCounts);
  });

  it('filters by status, and by a time range with `from` inclusive and `to` exclusive', async () => {
    const failed = await call('GET', '/transactions?status=failed&from=2020-01-01&to=2020-01-02');
    expect(failed.body.items.map((t: { createdAt: string }) => t.createdAt)).toEqual(
      times.filter((_, i) => i % 5 === 0).reverse(),
    );
    expect(new Set(failed.body.items.map((t: { status: string }) => t.status))).toEqual(new Set(['failed']));
    // The counts are of the time range, whatever the status filter: the header shows every status.
    expect(failed.body.counts).toEqual(seededCounts);

    const window = await call('GET', `/transactions?from=${times[10]}&to=${times[20]}`);
    expect(window.body.items.map((t: { createdAt: string }) => t.createdAt)).toEqual(times.slice(10, 20).reverse());
    expect(window.body.counts).toEqual({
      pending: 4,
      retrying: 2,
      success: 2,
      mined: 0,
      confirmed: 0,
      reverted: 0,
      failed: 2,
    });

    // Another offset names the same instant.
    const offset = await call('GET', '/transactions?from=2020-01-01T01:10:00%2B01:00&to=2020-01-01T00:12:00Z');
    expect(offset.body.items.map((t: { createdAt: string }) => t.createdAt)).toEqual([times[11], times[10]]);

    const after = await call('GET', `/transactions?status=retrying&from=${times[20]}`);
    expect(after.body.items.filter((t: { createdAt: string }) => t.createdAt < '2021').length).toBe(1);
    const before = await call('GET', `/transactions?to=${times[3]}`);
    expect(before.body.items.map((t: { createdAt: string }) => t.createdAt)).toEqual(times.slice(0, 3).reverse());
  });

  it('pages with an opaque cursor: 50 unless asked, at most 200, no item lost or repeated', async () => {
    const year = await seed(
      Array.from({ length: 60 }, (_, i) => minutes('2021-06-01T00:00:00.000Z', i)),
      () => 'success',
    );
    const first = await call('GET', '/transactions?from=2021-01-01&to=2022-01-01');
    expect(first.body.items).toHaveLength(50);
    expect(first.body.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await call('GET', `/transactions?from=2021-01-01&to=2022-01-01&cursor=${first.body.cursor}`);
    expect(second.body.items).toHaveLength(10);
    expect(second.body.cursor).toBeNull();
    expect(second.body.counts).toBeUndefined(); // counts come with the first page only
    const all = [...first.body.items, ...second.body.items].map((t: { id: string }) => t.id);
    expect(all).toEqual([...year].reverse());
    const big = await call('GET', '/transactions?from=2021-01-01&to=2022-01-01&limit=200');
    expect(big.body.items).toHaveLength(60);

    // Exactly a page's worth left: the last page says there is no next one.
    const exact = await call('GET', '/transactions?from=2021-01-01&to=2022-01-01&limit=30');
    const rest = await call('GET', `/transactions?from=2021-01-01&to=2022-01-01&limit=30&cursor=${exact.body.cursor}`);
    expect(rest.body.items).toHaveLength(30);
    expect(rest.body.cursor).toBeNull();
  });

  it('transactions created while a client pages neither shift nor repeat what it sees', async () => {
    // Everything in the table now, newest first, read at once.
    const snapshot = (await call('GET', '/transactions?limit=200')).body.items.map((t: { id: string }) => t.id);
    expect(snapshot.length).toBeGreaterThan(80); // the seeded ones, and one page of 200 holds them all
    expect(snapshot.length).toBeLessThan(200);
    const created: string[] = [];
    const pages = await pageThrough('', 7, async () => {
      for (let i = 0; i < 3; i++) {
        const res = await call('POST', '/transactions', { ...client, prefer: 'respond-async' }, { to, value: '9' });
        created.push(res.body.id);
      }
    });
    const seen = pages.flat().map((t) => t.id);
    expect(created.length).toBeGreaterThan(30);
    expect(new Set(seen).size).toBe(seen.length); // nothing repeated
    expect(seen).toEqual(snapshot); // nothing lost, and the same order
    const keys = pages.flat().map((t) => `${t.createdAt}#${t.id}`);
    expect(keys).toEqual([...keys].sort().reverse());

    // With a status filter, while transactions move between statuses: still nothing repeated.
    const moving = await pageThrough('status=pending', 5, async () => {
      await deliver(stack.sqs, stack.queues.requests, broadcaster);
      await deliver(stack.sqs, stack.queues.responses, updater);
    });
    const pendingIds = moving.flat().map((t) => t.id);
    expect(new Set(pendingIds).size).toBe(pendingIds.length);
    expect(pendingIds.length).toBeGreaterThan(5);
  });

  it('is served by index queries and reads by key, never a scan', async () => {
    const commands: Array<{ name: string; index: unknown; select: unknown }> = [];
    const doc = DynamoDBDocumentClient.from(stack.dynamo, { marshallOptions: { removeUndefinedValues: true } });
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: unknown; Select?: unknown };
        commands.push({ name: String(context.commandName), index: input.IndexName, select: input.Select });
        return next(args);
      },
      { step: 'initialize' },
    );
    const watched = createTransactionStore(doc, stack.tableName);
    await watched.list({ limit: 10 });
    await watched.list({ limit: 10, status: 'failed', from: '2020-01-01T00:00:00.000Z' });
    await watched.countByStatus({ from: '2020-01-01T00:00:00.000Z', to: '2020-01-02T00:00:00.000Z' });
    // Queries of the indexes, and items read by key from the table (the indexes hold keys only): the listed
    // transactions, the day's counters, and the mark of the day the counters start from.
    expect(new Set(commands.map((c) => c.name))).toEqual(
      new Set(['QueryCommand', 'BatchGetItemCommand', 'GetItemCommand']),
    );
    const queries = commands.filter((c) => c.name === 'QueryCommand');
    // A whole day is counted from its counters (byKind's `count` partition), not by a COUNT of byStatus;
    // only its pending, which have no counter, are (the count and the counters' query run side by side).
    expect(queries.slice(0, 2).map((c) => c.index)).toEqual(['byKind', 'byStatus']);
    expect(
      queries
        .slice(2)
        .map((c) => `${c.index} ${c.select ?? ''}`)
        .sort(),
    ).toEqual(['byKind ', 'byStatus COUNT']);
  });

  const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
  const refusals: Array<[string, string, string]> = [
    ['a limit above 200', '/transactions?limit=201', 'limit'],
    ['a limit of 0', '/transactions?limit=0', 'limit'],
    ['a limit that is not a number', '/transactions?limit=ten', 'limit'],
    ['an unknown status', '/transactions?status=lost', 'status'],
    ['two statuses', '/transactions?status=failed&status=success', 'status'],
    ['a time that is not ISO 8601', '/transactions?from=yesterday', 'from'],
    ['a time without an offset', '/transactions?to=2026-01-01T00:00:00', 'to'],
    ['an empty time range', '/transactions?from=2026-01-02&to=2026-01-01', 'to'],
    ['an unknown parameter', '/transactions?sort=asc', 'sort'],
    ['a cursor that is not one', '/transactions?cursor=not-a-cursor', 'cursor'],
    ['a cursor of another shape', `/transactions?cursor=${cursorOf({ pk: 'tx#1' })}`, 'cursor'],
    [
      'a cursor whose sort key names another id',
      `/transactions?cursor=${cursorOf({ id: 'a', sortKey: '2020-01-01T00:00:00.000Z#b' })}`,
      'cursor',
    ],
    [
      'a cursor outside the time range',
      `/transactions?from=2021-01-01&cursor=${cursorOf({ id: 'a', sortKey: '2020-01-01T00:00:00.000Z#a' })}`,
      'cursor',
    ],
  ];
  it.each(refusals)('400 naming the parameter: %s', async (_name, path, field) => {
    const res = await call('GET', path);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  });
});

describe('POST /transactions/{id}/rebroadcast', () => {
  it('404 for an unknown id; 409 for a transaction that has not failed', async () => {
    expect((await call('POST', `/transactions/${rebroadcastIdOf('nothing')}/rebroadcast`)).status).toBe(404);
    expect((await call('POST', `/transactions/${'x'.repeat(300)}/rebroadcast`)).status).toBe(404);
    const pending = await call('POST', '/transactions', { ...client, prefer: 'respond-async' }, { to, value: '2' });
    const early = await call('POST', `/transactions/${pending.body.id}/rebroadcast`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('not_failed');
    expect(early.body.error.message).toContain('pending');
    const done = await settle(pending.body.id);
    expect(done.status).toBe('success');
    const before = await tableCounts(stack);
    const late = await call('POST', `/transactions/${pending.body.id}/rebroadcast`);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain('success');
    expect(await tableCounts(stack)).toEqual(before);
  });

  it('creates a new transaction from the same request, linked both ways; a repeat returns it', async () => {
    const old = await submitAndSettle({ to, value: unpayable(3), gas: '21000' });
    expect(old.status).toBe('failed');
    expect(old.nonce).toEqual(expect.any(Number));
    const before = await tableCounts(stack);

    const first = await call('POST', `/transactions/${old.id}/rebroadcast`);
    expect(first.status).toBe(201);
    const fresh = first.body;
    expect(fresh.id).not.toBe(old.id);
    expect(first.headers.location).toBe(`/transactions/${fresh.id}`);
    expect(fresh).toMatchObject({
      status: 'pending',
      attempts: 0,
      history: [],
      rebroadcastOf: old.id,
      chainId: old.chainId,
      to: old.to,
      value: old.value,
      data: old.data,
      requestedGas: '21000',
    });
    expect((await call('GET', `/transactions/${old.id}`)).body).toMatchObject({
      status: 'failed',
      rebroadcastAs: fresh.id,
    });

    const again = await call('POST', `/transactions/${old.id}/rebroadcast`);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(fresh.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await tableCounts(stack)).toEqual({ rows: before.rows + 1, messages: before.messages + 1 });

    // It goes through the normal flow: a fresh nonce and fresh attempts; the same value, still more than the signer holds, fails it the same way.
    const outcome = await settle(fresh.id);
    expect(outcome.status).toBe('failed');
    expect(outcome.attempts).toBe(1);
    expect(outcome.nonce).not.toBe(old.nonce);
    expect(outcome.message).toMatch(/insufficient funds/i);
  });

  it('ten concurrent rebroadcasts of one failed transaction create one transaction', async () => {
    const old = await submitAndSettle({ to, value: unpayable(4), gas: '21000' });
    expect(old.status).toBe('failed');
    const before = await tableCounts(stack);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', `/transactions/${old.id}/rebroadcast`)),
    );
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(9);
    expect(await tableCounts(stack)).toEqual({ rows: before.rows + 1, messages: before.messages + 1 });
  });

  it('a rebroadcast that died between creating the new transaction and linking the old one is completed', async () => {
    const old = await submitAndSettle({ to, value: unpayable(5), gas: '21000' });
    // The first write of a rebroadcast, and no second: the process died in between.
    const newId = rebroadcastIdOf(old.id);
    await store.create(
      {
        id: newId,
        chainId: old.chainId,
        to: old.to,
        value: old.value,
        data: old.data,
        gas: '21000',
        rebroadcastOf: old.id,
        message: 'accepted',
        createdAt: new Date().toISOString(),
      },
      0,
    );
    expect((await store.get(old.id))?.rebroadcastAs).toBeUndefined();
    const before = await tableCounts(stack);
    const res = await call('POST', `/transactions/${old.id}/rebroadcast`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(newId);
    expect((await store.get(old.id))?.rebroadcastAs).toBe(newId);
    expect((await tableCounts(stack)).rows).toBe(before.rows);
  });

  it('a transaction failed for a reason that went away succeeds when rebroadcast', async () => {
    // A hot wallet running low: enough for the filler that frees the nonce, not for the transfer.
    const balance = await stack.chain.getBalance({ address: signer });
    await stack.testClient.setBalance({ address: signer, value: parseEther('0.5') });
    let old: Answer['body'];
    try {
      old = await submitAndSettle({ to, value: parseEther('1').toString() });
    } finally {
      await stack.testClient.setBalance({ address: signer, value: balance });
    }
    expect(old.status).toBe('failed');
    expect(old.message).toMatch(/insufficient funds/i);
    expect(old.requestedGas).toBeUndefined();

    const res = await call('POST', `/transactions/${old.id}/rebroadcast`);
    expect(res.status).toBe(201);
    const done = await settle(res.body.id);
    expect(done).toMatchObject({ status: 'success', rebroadcastOf: old.id, attempts: 1, value: old.value });
    // Mined once what the earlier tests left in the queues has run too: one of them may hold the nonce before it.
    let receipt: Awaited<ReturnType<typeof stack.chain.getTransactionReceipt>> | undefined;
    await pumpUntil(async () => {
      receipt = await stack.chain.getTransactionReceipt({ hash: done.txHash }).catch(() => undefined);
      return receipt !== undefined;
    }, `${done.txHash} to be mined`);
    expect(receipt?.status).toBe('success');
    expect((await call('GET', `/transactions/${old.id}`)).body.status).toBe('failed');
  }, 120_000);
});

describe('GET /admin', () => {
  it('serves the page without a token, with a CSP that admits only its own script and style', async () => {
    const res = await api(apiEvent('GET', '/admin', undefined, {}));
    expect(res.statusCode).toBe(200);
    const headers = res.headers ?? {};
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['x-content-type-options']).toBe('nosniff');
    const body = res.body ?? '';
    expect(body).toMatch(/^<!doctype html>/);
    const csp = String(headers['content-security-policy']);
    const inline = (tag: string) => body.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`))?.[1] ?? '';
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(inline('script').length).toBeGreaterThan(1000);
    expect(csp).toContain(`script-src ${hash(inline('script'))}`);
    expect(csp).toContain(`style-src ${hash(inline('style'))}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('is documented as an open route that answers HTML', async () => {
    const doc = (await callApi(api, 'GET', '/openapi.json')).body;
    const page = doc.paths['/admin'].get;
    expect(page.security).toEqual([]);
    expect(Object.keys(page.responses['200'].content)).toEqual(['text/html']);
    const list = doc.paths['/transactions'].get;
    expect(list['x-required-role']).toBe('admin');
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      'query:status',
      'query:client',
      'query:signer',
      'query:from',
      'query:to',
      'query:limit',
      'query:cursor',
    ]);
    expect(doc.components.schemas.Transaction.properties).toHaveProperty('rebroadcastOf');
    expect(doc.components.schemas.Transaction.properties).toHaveProperty('rebroadcastAs');
    expect(doc.paths['/transactions/{id}/rebroadcast'].post['x-required-role']).toBe('admin');
  });
});

describe('the OpenAPI document', () => {
  it('every answer of the admin routes was seen above, and each matched its schema', () => {
    const admin = /^(GET \/transactions|POST \/transactions\/\{id\}\/rebroadcast) /;
    expect(checker.unseen([' 500', 'POST /transactions/{id}/rebroadcast 503']).filter((k) => admin.test(k))).toEqual(
      [],
    );
  });
});

import { createHash } from 'node:crypto';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, callApi } from '../support/callApi.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asAdmin, bearer, testTokens } from '../support/tokens.ts';

/**
 * Clients are named identities (issue 13): each token names a client; a client reads only its own
 * transactions (another's is a 404, so ids reveal nothing), its idempotency keys are its own whichever
 * of its tokens sends them, and nothing derived from a token is stored.
 */

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const tokens = { a1: 'team-a-token-one', a2: 'team-a-token-two', b: 'team-b-token-one' };
const teamA1 = bearer(tokens.a1);
const teamA2 = bearer(tokens.a2);
const teamB = bearer(tokens.b);

let stack: TestStack;
let handlers: Handlers;
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> =>
  callApi(handlers.api, method, path, { headers: { prefer: 'respond-async', ...headers }, body });

beforeAll(async () => {
  stack = await startTestStack();
  handlers = await loadHandlers(stack, {
    API_TOKENS: `team-a:${tokens.a1},team-a:${tokens.a2},team-b:${tokens.b}`,
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('a client reads only its own transactions', () => {
  it('another client gets the same 404 as for an id that does not exist; the owner and an admin read it', async () => {
    // prepare
    const mine = await call('POST', '/transactions', teamA1, { to, value: '1' });
    expect(mine.status).toBe(202);
    expect(mine.body.client).toBe('team-a');
    // act
    const theirs = await call('GET', `/transactions/${mine.body.id}`, teamB);
    const nobody = await call('GET', '/transactions/00000000-0000-4000-8000-000000000000', teamB);
    const owner = await call('GET', `/transactions/${mine.body.id}`, teamA2);
    const admin = await call('GET', `/transactions/${mine.body.id}`, asAdmin);
    // assess
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe(nobody.body.error.code);
    expect(JSON.stringify(theirs.body)).not.toContain('team-a');
    expect(owner.status).toBe(200);
    expect(admin.status).toBe(200);
    expect(admin.body.client).toBe('team-a');
  });

  it('another client cannot cancel it: the same 404 as for an id that does not exist, and nothing asked for', async () => {
    // prepare
    const mine = await call('POST', '/transactions', teamA1, { to, value: '5' });
    expect(mine.status).toBe(202);
    const before = await tableCounts(stack);
    // act
    const theirs = await call('POST', `/transactions/${mine.body.id}/cancel`, teamB);
    const nobody = await call('POST', '/transactions/00000000-0000-4000-8000-000000000000/cancel', teamB);
    // assess
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual({
      error: { ...nobody.body.error, message: nobody.body.error.message.replace(/[0-9a-f-]{36}/, mine.body.id) },
    });
    expect(await tableCounts(stack)).toEqual(before);
    const after = await call('GET', `/transactions/${mine.body.id}`, teamA2);
    expect(after.body.status).toBe(mine.body.status);
    expect(after.body.cancel ?? null).toBeNull();
  });

  it('the admin list filters by client, with that client’s counts', async () => {
    await call('POST', '/transactions', teamB, { to, value: '2' });
    const a = await call('GET', '/transactions?client=team-a', asAdmin);
    const b = await call('GET', '/transactions?client=team-b', asAdmin);
    expect(a.status).toBe(200);
    expect(a.body.items.length).toBeGreaterThan(0);
    expect(new Set(a.body.items.map((t: { client: string }) => t.client))).toEqual(new Set(['team-a']));
    expect(new Set(b.body.items.map((t: { client: string }) => t.client))).toEqual(new Set(['team-b']));
    expect(a.body.counts.pending).toBe(a.body.items.length);
    const bad = await call('GET', '/transactions?client=not%20a%20name', asAdmin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('client');
  });
});

describe('idempotency keys belong to the client, not to a token', () => {
  it('a repeat with the client’s rotated token returns the same transaction, and sends nothing twice', async () => {
    // prepare
    const key = { 'idempotency-key': 'rotation-1' };
    const first = await call('POST', '/transactions', { ...teamA1, ...key }, { to, value: '3' });
    const before = await tableCounts(stack);
    // act: the first answer timed out for the client; it retries after moving to its new token
    const retried = await call('POST', '/transactions', { ...teamA2, ...key }, { to, value: '3' });
    // assess
    expect(retried.body.id).toBe(first.body.id);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(await tableCounts(stack)).toEqual(before);
  });

  it('another client’s identical key is another request: it can neither read nor replay into the first one’s', async () => {
    const key = { 'idempotency-key': 'shared-key-1' };
    const a = await call('POST', '/transactions', { ...teamA1, ...key }, { to, value: '4' });
    const b = await call('POST', '/transactions', { ...teamB, ...key }, { to, value: '4' });
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.client).toBe('team-b');
  });
});

describe('nothing derived from a token is stored', () => {
  it('no record holds a token, its SHA-256 or any prefix of it longer than 7 hex digits', async () => {
    // prepare: records of every kind the api writes (transactions, idempotency keys) exist from the tests above
    const all = [tokens.a1, tokens.a2, tokens.b, testTokens.client, testTokens.admin];
    const derived = all.flatMap((t) => {
      const sha = createHash('sha256').update(t).digest('hex');
      return [t, sha, sha.slice(0, 8), sha.slice(-8)];
    });
    // act
    const text: string[] = [];
    for await (const page of paginateScan({ client: stack.doc }, { TableName: stack.tableName })) {
      for (const item of page.Items ?? []) text.push(JSON.stringify(item));
    }
    // assess
    expect(text.some((t) => t.includes('"pk":"idem#team-a:rotation-1"'))).toBe(true);
    for (const value of derived) {
      expect(
        text.filter((t) => t.includes(value)),
        `a record holds ${value.slice(0, 4)}…`,
      ).toEqual([]);
    }
  });
});

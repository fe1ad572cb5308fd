import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/callApi.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { asAdmin as admin, tokenEnv } from '../support/tokens.ts';

// The open GET /health is shallow: anyone may call it as often as they like, and it reads the table (and
// knows its configuration) at most every 10 s. The admin's GET /admin/health reads everything now.
let stack: TestStack;
let api: Handlers['api'];

beforeAll(async () => {
  stack = await startTestStack();
  ({ api } = await loadHandlers(stack, tokenEnv));
});

afterAll(async () => {
  await stack?.stop();
});

describe('health', () => {
  it('the open probe serves one read to every caller for 10 s; the admin’s reads now', async () => {
    const first = await callApi(api, 'GET', '/health', { headers: {} });
    expect(first.status).toBe(200);
    // No queue and no chain: what the open probe asks of the stack is its table.
    expect(first.body).toEqual({ ok: true, checks: { table: 'ok' } });
    // The table goes away: a read now would see it.
    await stack.dynamo.send(new DeleteTableCommand({ TableName: stack.tableName }));
    const cached = await Promise.all(Array.from({ length: 20 }, () => callApi(api, 'GET', '/health', { headers: {} })));
    for (const answer of cached) expect(answer).toMatchObject({ status: 200, body: first.body });
    const deep = await callApi(api, 'GET', '/admin/health', { headers: admin });
    expect(deep.status).toBe(503);
    expect(deep.body.checks.table).toMatch(/^unavailable \(ResourceNotFoundException\)$/);
    expect(deep.body.checks['queue:requests']).toBe('ok');
    expect(deep.body.checks['chain:31337']).toBe('ok');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/callApi.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { asClient as client, tokenEnv } from '../support/tokens.ts';

// The api's concurrency is about its request rate times its wait: a deployment caps the wait a client may
// ask for (MAX_WAIT_MS, the stack's property), whatever `Prefer: wait=N` says.
let stack: TestStack;
let api: Handlers['api'];

beforeAll(async () => {
  stack = await startTestStack();
  ({ api } = await loadHandlers(stack, { ...tokenEnv, MAX_WAIT_MS: '1000' }));
});

afterAll(async () => {
  await stack?.stop();
});

describe('MAX_WAIT_MS', () => {
  it('caps Prefer: wait=N, and says so in Preference-Applied', async () => {
    // Nothing runs the broadcaster here: the wait runs out, and the answer is 202 after the capped wait.
    const res = await callApi(api, 'POST', '/transactions', {
      body: { to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: '1' },
      headers: { ...client, prefer: 'wait=20' },
    });
    expect(res.status).toBe(202);
    expect(res.headers['preference-applied']).toBe('wait=1');
  });
});

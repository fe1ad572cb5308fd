import { createServer, type Server } from 'node:http';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/callApi.ts';
import { deliver } from '../support/deliver.ts';
import { jsonLinesOf } from '../support/emfOf.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asAdmin as admin, asClient as client } from '../support/tokens.ts';

// A fresh stack before its operator filled the chains secret: the secret holds the random text the stack
// generated. The real handler modules start on it (a Secrets Manager stand-in serves the placeholder), stay up,
// and say what is missing, instead of failing every cold start.
const chainsArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:ChainsSecret-AbCdEf';
const placeholder = 'q8ZrT2mXv0LkP4sN7wYbC1dF6gH3jKe9';

let secrets: Server;
let stack: TestStack;
let handlers: Handlers;

beforeAll(async () => {
  secrets = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: chainsArn, Name: 'ChainsSecret', SecretString: placeholder, VersionId: 'v1' }));
    });
  });
  await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
  const address = secrets.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  stack = await startTestStack();
  handlers = await loadHandlers(stack, {
    CHAINS_SECRET_ARN: chainsArn,
    // The sweep's warning is read below.
    LOG_LEVEL: 'WARN',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${address.port}`,
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => secrets?.close(resolve));
});

describe('a stack whose chains secret is not filled yet', () => {
  it('answers health 503: the open probe says what is missing without naming the secret, the admin’s what to put where', async () => {
    const open = await callApi(handlers.api, 'GET', '/health', { headers: {} });
    expect(open.status).toBe(503);
    expect(open.body.ok).toBe(false);
    expect(open.body.checks.configuration).toMatch(
      /^not configured: the chains secret holds no usable RPC URL for this chain yet/,
    );
    expect(JSON.stringify(open.body)).not.toContain('arn:aws');
    const deep = await callApi(handlers.api, 'GET', '/admin/health', { headers: admin });
    expect(deep.status).toBe(503);
    expect(deep.body.checks.configuration).toContain(chainsArn);
    expect(deep.body.checks.configuration).toContain('put-secret-value');
    // The placeholder itself is never shown.
    expect(JSON.stringify(deep.body)).not.toContain(placeholder);
    // What does work is still checked: the table and the queues answer.
    expect(deep.body.checks).toMatchObject({ table: 'ok', 'queue:requests': 'ok' });
  });

  it('refuses a new transaction with 503 not_configured, and records nothing', async () => {
    const before = await tableCounts(stack);
    let answer: Awaited<ReturnType<typeof callApi>> | undefined;
    const lines = await jsonLinesOf(async () => {
      answer = await callApi(handlers.api, 'POST', '/transactions', {
        headers: { ...client, 'content-type': 'application/json' },
        body: { to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: '1' },
      });
    });
    if (!answer) throw new Error('no answer');
    expect(answer.status).toBe(503);
    // Refused by design until the secret is filled: a WARN naming why, no ERROR and no stack.
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['WARN', 'request refused: the service is not configured'],
    ]);
    expect(answer.body.error).toMatchObject({ code: 'not_configured' });
    expect(await tableCounts(stack)).toEqual(before);
    // Nor is a failed one sent again (the refusal comes before the transaction is looked up).
    const again = await callApi(handlers.api, 'POST', '/transactions/some-failed-id/rebroadcast', { headers: admin });
    expect(again).toMatchObject({ status: 503, body: { error: { code: 'not_configured' } } });
    // Reads still work: the table is fine.
    const list = await callApi(handlers.api, 'GET', '/transactions', { headers: admin });
    expect(list.status).toBe(200);
  });

  it('the sweep does nothing, and says so without an error, on a line with its invocation’s request id', async () => {
    const context = { awsRequestId: 'sweep-req-1', functionName: 'sweep', memoryLimitInMB: '256' } as Context;
    let result: unknown;
    const lines = await jsonLinesOf(async () => {
      result = await handlers.sweep(undefined, context);
    });
    expect(result).toEqual({ requeued: 0, filled: 0, lowBalance: 0, skipped: true });
    expect(lines.filter((l) => String(l.message).startsWith('not configured'))).toEqual([
      expect.objectContaining({ level: 'WARN', function_request_id: 'sweep-req-1', cold_start: expect.any(Boolean) }),
    ]);
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('a message sent before stays on its queue for when the secret is filled, nothing decided', async () => {
    await stack.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.requests,
        MessageBody: JSON.stringify({ id: 'tx-from-before', attempt: 1, phase: 'broadcast' }),
      }),
    );
    const delivered = await deliver(stack.sqs, stack.queues.requests, handlers.broadcaster);
    expect(delivered.failures).toHaveLength(1);
  });
});

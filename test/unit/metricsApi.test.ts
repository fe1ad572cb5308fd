import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/lib/api/createApiHandler.ts';
import type { Route } from '../../functions/lib/api/Route.ts';
import { type HttpResult, json } from '../../functions/lib/http/respond.ts';
import { createServiceMetrics } from '../../functions/lib/metrics/createServiceMetrics.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { emfOf, jsonLinesOf, linesOf } from '../support/emfOf.ts';

// The api counts Submitted for each POST /transactions that accepted a new transaction, and for nothing
// else: not an idempotent repeat, not a refusal, not another route. Its metrics are written at the end of
// each request, and its log lines carry the request's Lambda context when there is one.

const location = { location: '/transactions/tx-1' };

/** The api's handler over one POST /transactions route answering `answer`, and one GET route. */
function apiWith(answer: () => Promise<HttpResult>, logger = new Logger({ serviceName: 'api', logLevel: 'SILENT' })) {
  const routes: Route[] = [
    { method: 'POST', path: '/transactions', access: 'none', summary: 'submit', responses: {}, handler: answer },
    {
      method: 'GET',
      path: '/transactions/{id}',
      access: 'none',
      summary: 'read',
      responses: {},
      handler: async () => {
        logger.info('read one');
        return json(200, {}, location);
      },
    },
  ];
  const metrics = createServiceMetrics('api');
  return createApiHandler(routes, { access: async () => undefined, logger, metrics });
}

/** How many Submitted the requests printed, under `service` alone. */
async function submittedBy(handler: ReturnType<typeof apiWith>, method = 'POST', path = '/transactions') {
  const lines = await emfOf(() => handler(apiEvent(method, path, {}), {} as Context));
  return linesOf(lines, 'Submitted')
    .filter((f) => f.dimensions.join() === 'service')
    .reduce(
      (n, f) =>
        n +
        [f.line.Submitted]
          .flat()
          .map(Number)
          .reduce((a, b) => a + b, 0),
      0,
    );
}

describe('Submitted', () => {
  it.each([
    ['a new transaction, 202', async () => json(202, { id: 'tx-1' }, location), 1],
    ['a new transaction broadcast within the wait, 200', async () => json(200, { id: 'tx-1' }, location), 1],
    [
      'a new transaction the chain refused within the wait, 422 with its Location',
      async () => json(422, {}, location),
      1,
    ],
    ['an idempotent repeat', async () => json(202, { id: 'tx-1' }, { ...location, 'idempotent-replayed': 'true' }), 0],
    ['a refusal before anything is recorded, 422 without a Location', async () => json(422, { error: {} }), 0],
    [
      'a failure of ours',
      async () => {
        throw new Error('the table is down');
      },
      0,
    ],
  ])('%s', async (_what, answer, expected) => {
    expect(await submittedBy(apiWith(answer))).toBe(expected);
  });

  it('is counted by POST /transactions alone', async () => {
    expect(
      await submittedBy(
        apiWith(async () => json(202, {}, location)),
        'GET',
        '/transactions/tx-1',
      ),
    ).toBe(0);
  });

  it('is written at the end of each request, one line each', async () => {
    const handler = apiWith(async () => json(202, { id: 'tx-1' }, location));
    const first = await emfOf(() => handler(apiEvent('POST', '/transactions', {}), {} as Context));
    const second = await emfOf(() => handler(apiEvent('POST', '/transactions', {}), {} as Context));
    expect([first.length, second.length]).toEqual([1, 1]);
  });
});

describe('the api’s log context', () => {
  const context = (awsRequestId: string): Context => ({
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:api',
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  });

  it('puts each request’s id on its lines', async () => {
    const handler = apiWith(async () => json(202, {}, location), new Logger({ serviceName: 'api' }));
    const lines = await jsonLinesOf(async () => {
      await handler(apiEvent('GET', '/transactions/tx-1'), context('req-1'));
      await handler(apiEvent('GET', '/transactions/tx-1'), context('req-2'));
    });
    const reads = lines.filter((l) => l.message === 'read one');
    expect(reads.map((l) => [l.function_request_id, typeof l.cold_start])).toEqual([
      ['req-1', 'boolean'],
      ['req-2', 'boolean'],
    ]);
  });

  it('answers a request with no context, or a partial one, as any other', async () => {
    const handler = apiWith(async () => json(202, {}, location));
    const partial = await handler(apiEvent('GET', '/transactions/tx-1'), {} as Context);
    const none = await handler(apiEvent('GET', '/transactions/tx-1'), undefined as unknown as Context);
    expect([partial, none].map((r) => (typeof r === 'object' ? r.statusCode : r))).toEqual([200, 200]);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sqsBatchHandler } from '../../functions/lib/queue/sqsBatchHandler.ts';
import { jsonLinesOf } from '../support/emfOf.ts';

// The SQS handlers' frame: each invocation's Lambda context on every line (request id, cold start: true
// only in the first invocation, for the records' loggers and their children too), each record's lines
// with its transaction's id though the records run side by side, and the metrics written once a batch.

const context = (awsRequestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'tracker',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:tracker',
  memoryLimitInMB: '256',
  awsRequestId,
  logGroupName: 'test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

const record = (id: string): SQSRecord => ({
  messageId: `m-${id}`,
  receiptHandle: `r-${id}`,
  body: JSON.stringify({ id }),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
  awsRegion: 'us-east-1',
});
const batch = (...ids: string[]): SQSEvent => ({ Records: ids.map(record) });

// On Lambda an on-demand environment says so; Powertools reads it when a logger is made.
beforeEach(() => {
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** A handler whose records log twice, once through a child as the domain makes one, after a pause of `ms` each. */
function createHandler(pauses: Record<string, number> = {}) {
  const logger = new Logger({ serviceName: 'tracker' });
  const flushes = { count: 0 };
  const handler = sqsBatchHandler(
    async (r, scope) => {
      const { id } = JSON.parse(r.body);
      if (id === 'bad') throw new Error('this record fails');
      const log = scope.logger({ transactionId: id });
      log.info('record started');
      await sleep(pauses[id] ?? 0);
      log.createChild({ persistentKeys: { attempt: 1 } }).info('record done');
    },
    { service: 'tracker', logger, metrics: { flush: () => void flushes.count++ } },
  );
  return { handler, logger, flushes };
}

describe('sqsBatchHandler', () => {
  it('puts each record’s transaction id on its lines, and only its, though the records run side by side', async () => {
    // prepare: a's second line comes after b's first.
    const { handler } = createHandler({ a: 20, b: 0 });
    // act
    const lines = await jsonLinesOf(() => handler(batch('a', 'b'), context('req-1')));
    // assess
    expect(lines.map((l) => [l.message, l.transactionId])).toEqual([
      ['record started', 'a'],
      ['record started', 'b'],
      ['record done', 'b'],
      ['record done', 'a'],
    ]);
  });

  it('puts the request id on every line, and cold start only in the first invocation, children included', async () => {
    const { handler, logger } = createHandler();
    const seen = async (requestId: string) =>
      (
        await jsonLinesOf(async () => {
          await handler(batch('a'), context(requestId));
          logger.info('the function’s own line');
        })
      ).map((l) => [l.message, l.function_request_id, l.cold_start]);
    expect(await seen('req-1')).toEqual([
      ['record started', 'req-1', true],
      ['record done', 'req-1', true],
      ['the function’s own line', 'req-1', true],
    ]);
    expect(await seen('req-2')).toEqual([
      ['record started', 'req-2', false],
      ['record done', 'req-2', false],
      ['the function’s own line', 'req-2', false],
    ]);
  });

  it('writes the metrics once an invocation, when a record fails too, and reports only that record', async () => {
    const { handler, flushes } = createHandler();
    let response: Awaited<ReturnType<typeof handler>> | undefined;
    await jsonLinesOf(async () => {
      response = await handler(batch('a', 'bad', 'b'), context('req-1'));
      await handler(batch('c'), context('req-2'));
    });
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(flushes.count).toBe(2);
  });

  it('runs without a Lambda context (the local runner, a test): no request id, nothing thrown', async () => {
    const { handler, flushes } = createHandler();
    const lines = await jsonLinesOf(() => handler(batch('a')));
    expect(lines.map((l) => [l.message, l.transactionId, l.function_request_id])).toEqual([
      ['record started', 'a', undefined],
      ['record done', 'a', undefined],
    ]);
    expect(flushes.count).toBe(1);
  });
});

describe('sqsBatchHandler: after the batch', () => {
  it('runs afterBatch once every record is done, failed ones too, before it returns and before the metrics', async () => {
    const order: string[] = [];
    const handler = sqsBatchHandler(
      async (r) => {
        const { id } = JSON.parse(r.body);
        await sleep(id === 'slow' ? 30 : 1);
        order.push(id);
        if (id === 'bad') throw new Error('this record fails');
      },
      {
        service: 'updater',
        logger: new Logger({ serviceName: 'updater', logLevel: 'SILENT' }),
        metrics: { flush: () => order.push('metrics') },
        afterBatch: async () => {
          await sleep(5);
          order.push('afterBatch');
        },
      },
    );
    const result = await handler(batch('slow', 'bad', 'ok'));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(order.slice(-2)).toEqual(['afterBatch', 'metrics']);
    expect(new Set(order.slice(0, 3))).toEqual(new Set(['slow', 'bad', 'ok']));
  });
});

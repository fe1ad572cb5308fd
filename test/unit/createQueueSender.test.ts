import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { QueueSendError } from '../../functions/lib/errors/errors.ts';
import { createQueueSender } from '../../functions/lib/queue/createQueueSender.ts';

const queueUrl = 'http://sqs.local/000000000000/retry';

/**
 * An SQS client that records the input of each `SendMessageBatch` and answers with `answer` (which
 * may throw, as a refused request does); by default every entry is stored.
 */
function fakeSqs(
  answer: (input: SendMessageBatchCommandInput, call: number) => Partial<SendMessageBatchCommandOutput> = () => ({}),
) {
  const batches: SendMessageBatchCommandInput[] = [];
  const client = {
    async send(command: unknown) {
      if (!(command instanceof SendMessageBatchCommand)) throw new Error('the fake SQS only takes SendMessageBatch');
      batches.push(command.input);
      return { Successful: [], Failed: [], ...answer(command.input, batches.length) };
    },
  };
  // The sender calls `send` only; the SDK's client class has much more that this fake need not be.
  return { sqs: client as unknown as SQSClient, batches };
}

describe('createQueueSender', () => {
  it('coalesces the sends of one tick into one batch, and a later tick into another', async () => {
    // prepare
    const { sqs, batches } = fakeSqs();
    const sender = createQueueSender(sqs, queueUrl);
    // act
    await Promise.all([sender.send({ id: 'a' }), sender.send({ id: 'b' }), sender.send({ id: 'c' })]);
    await sender.send({ id: 'd' });
    // assess
    expect(batches).toHaveLength(2);
    expect(batches[0]).toStrictEqual({
      QueueUrl: queueUrl,
      Entries: [
        { Id: '0', MessageBody: '{"id":"a"}' },
        { Id: '1', MessageBody: '{"id":"b"}' },
        { Id: '2', MessageBody: '{"id":"c"}' },
      ],
    });
    expect(batches[1]?.Entries).toStrictEqual([{ Id: '0', MessageBody: '{"id":"d"}' }]);
  });

  it('splits more than 10 sends into batches of 10, keeping their order', async () => {
    const { sqs, batches } = fakeSqs();
    const sender = createQueueSender(sqs, queueUrl);
    await Promise.all(Array.from({ length: 23 }, (_, i) => sender.send({ i })));
    expect(batches.map((b) => b.Entries?.length)).toEqual([10, 10, 3]);
    const bodies = batches.flatMap((b) => (b.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? '').i));
    expect(bodies).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('sets DelaySeconds only for a delay above zero', async () => {
    const { sqs, batches } = fakeSqs();
    const sender = createQueueSender(sqs, queueUrl);
    await Promise.all([sender.send('none'), sender.send('zero', 0), sender.send('later', 30)]);
    expect(batches[0]?.Entries).toStrictEqual([
      { Id: '0', MessageBody: '"none"' },
      { Id: '1', MessageBody: '"zero"' },
      { Id: '2', MessageBody: '"later"', DelaySeconds: 30 },
    ]);
  });

  it('rejects only the send whose entry SQS did not store', async () => {
    const { sqs } = fakeSqs(() => ({
      Failed: [{ Id: '1', Code: 'InvalidMessageContents', Message: 'message too long', SenderFault: true }],
    }));
    const sender = createQueueSender(sqs, queueUrl);
    const results = await Promise.allSettled([sender.send('a'), sender.send('b'), sender.send('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const failure = results[1]?.status === 'rejected' ? results[1].reason : undefined;
    expect(failure).toBeInstanceOf(QueueSendError);
    expect(failure).toMatchObject({ queueUrl, transient: true, message: expect.stringContaining('message too long') });
  });

  it('rejects every send of a refused batch, and only those', async () => {
    const refusal = new Error('AccessDenied');
    const { sqs, batches } = fakeSqs((_input, call) => {
      if (call === 1) throw refusal;
      return {};
    });
    const sender = createQueueSender(sqs, queueUrl);
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => sender.send({ i })));
    expect(batches).toHaveLength(2);
    expect(results.map((r) => r.status)).toEqual([...Array(10).fill('rejected'), 'fulfilled', 'fulfilled']);
    for (const r of results.slice(0, 10)) {
      expect(r.status === 'rejected' && r.reason).toBeInstanceOf(QueueSendError);
      expect(r.status === 'rejected' && r.reason.cause).toBe(refusal);
    }
  });
});

import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueBacklog } from '../../functions/lib/queue/queueBacklog.ts';
import { type Emulator, startSqs } from '../../infra/local/emulators.ts';

// The sweep's reading of the requests queue's line (issue 17's overload): a message a worker has taken and
// not yet finished is in the line too, so a transaction whose message is being worked is not sent again.

let sqs: Emulator;
let client: SQSClient;
beforeAll(async () => {
  sqs = await startSqs();
  client = new SQSClient({
    region: 'us-east-1',
    endpoint: sqs.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
});

describe('queueBacklog', () => {
  it('counts the messages waiting and those in flight', async () => {
    // prepare
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'backlog-probe' }));
    const url = QueueUrl as string;
    for (let i = 0; i < 3; i++) await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    const backlog = queueBacklog(client, url);
    const before = await backlog();
    // act: a worker takes two and has not deleted them
    const taken = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, VisibilityTimeout: 60 }),
    );
    const after = await backlog();
    // assess
    expect(before).toBe(3);
    expect(taken.Messages).toHaveLength(2);
    expect(after).toBe(3);
  });

  it('is undefined when the queue does not answer', async () => {
    expect(await queueBacklog(client, `${sqs.url}/000000000000/no-such-queue`)()).toBeUndefined();
  });
});

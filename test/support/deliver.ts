import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deleteDelivered, toSqsEvent } from '../../infra/local/eventSourceMapping.ts';

type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Receives what is visible on a queue right now (up to `max`), without deleting it. */
export async function receiveAll(sqs: SQSClient, queueUrl: string, max = 100): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
      }),
    );
    const got = out.Messages ?? [];
    all.push(...got);
    if (got.length === 0 || all.length >= max) return all;
  }
}

/** Builds an SQS event from received messages, as the local runner's event source mappings do. */
export const sqsEvent = (messages: Message[]): SQSEvent =>
  toSqsEvent(messages, 'arn:aws:sqs:us-east-1:000000000000:test');

/**
 * Delivers every visible message of a queue to a handler in one batch, as Lambda would, and deletes
 * the ones the handler did not report as failed. Returns the bodies and the batch response.
 */
export async function deliver(sqs: SQSClient, queueUrl: string, handler: SqsHandler) {
  const messages = await receiveAll(sqs, queueUrl);
  if (messages.length === 0) return { bodies: [] as unknown[], failures: [] as string[] };
  const response = await handler(sqsEvent(messages));
  const failures = response.batchItemFailures.map((f) => f.itemIdentifier);
  await deleteDelivered(sqs, queueUrl, messages, response);
  return { bodies: messages.map((m) => JSON.parse(m.Body ?? 'null')), failures };
}

import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * How many messages the queues at `queueUrls` hold that a worker has or will have: for each, SQS's
 * `ApproximateNumberOfMessages` (visible, waiting) plus `ApproximateNumberOfMessagesNotVisible` (in flight:
 * received, not yet deleted), summed. A message in flight is not lost either: a poller takes a batch at
 * once and works through it, so a line can show none visible while its last messages are still being
 * worked. (Delayed ones are not counted.) One request per queue; `undefined` when a queue does not answer,
 * so a caller can fall back to what it did without knowing. (A sender's grant, `sqs:SendMessage`, carries
 * `sqs:GetQueueAttributes` with it on AWS.)
 */
export function queueBacklog(sqs: SQSClient, ...queueUrls: string[]): () => Promise<number | undefined> {
  const one = async (QueueUrl: string) => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const waiting = Number(out.Attributes?.ApproximateNumberOfMessages);
    const inFlight = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (!Number.isFinite(waiting)) throw new Error(`no ApproximateNumberOfMessages for ${QueueUrl}`);
    return waiting + (Number.isFinite(inFlight) ? inFlight : 0);
  };
  return async () => {
    try {
      const each = await Promise.all(queueUrls.map(one));
      return each.reduce((a, b) => a + b, 0);
    } catch {
      return undefined;
    }
  };
}

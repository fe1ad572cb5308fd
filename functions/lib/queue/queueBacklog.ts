import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * How many messages wait, visible, on a queue: SQS's `ApproximateNumberOfMessages` (in flight and
 * delayed ones are not counted). One request; `undefined` when the queue does not answer, so a caller
 * can fall back to what it did without knowing. (A sender's grant, `sqs:SendMessage`, carries
 * `sqs:GetQueueAttributes` with it on AWS.)
 */
export function queueBacklog(sqs: SQSClient, queueUrl: string): () => Promise<number | undefined> {
  return async () => {
    try {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      const waiting = Number(out.Attributes?.ApproximateNumberOfMessages);
      return Number.isFinite(waiting) ? waiting : undefined;
    } catch {
      return undefined;
    }
  };
}

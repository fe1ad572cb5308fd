import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueSendError } from '../errors/errors.ts';

/** Sends the messages of one queue, each of type `T` (checked where it is built, so a typo never reaches a DLQ). */
export type QueueSender<T = unknown> = {
  /** Sends one message; resolves once SQS has stored it, rejects if it did not. */
  send(body: T, delaySeconds?: number): Promise<void>;
};

type Pending = { body: string; delaySeconds: number; resolve: () => void; reject: (e: unknown) => void };

/**
 * Sends messages to one queue, coalescing the sends made in the same tick into
 * `SendMessageBatch` calls of up to 10, so concurrent records of a batch cost one request.
 */
export function createQueueSender<T>(sqs: SQSClient, queueUrl: string): QueueSender<T> {
  let queued: Pending[] = [];
  let scheduled = false;

  async function flush(batch: Pending[]) {
    try {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((p, i) => ({
            Id: String(i),
            MessageBody: p.body,
            ...(p.delaySeconds > 0 ? { DelaySeconds: p.delaySeconds } : {}),
          })),
        }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f.Message ?? f.Code ?? 'failed']));
      batch.forEach((p, i) => {
        const why = failed.get(String(i));
        if (why === undefined) p.resolve();
        else p.reject(new QueueSendError(queueUrl, why));
      });
    } catch (error) {
      for (const p of batch) p.reject(new QueueSendError(queueUrl, 'batch refused', { cause: error }));
    }
  }

  return {
    send(body, delaySeconds = 0) {
      return new Promise<void>((resolve, reject) => {
        queued.push({ body: JSON.stringify(body), delaySeconds, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          const all = queued;
          queued = [];
          for (let i = 0; i < all.length; i += 10) void flush(all.slice(i, i + 10));
        });
      });
    },
  };
}

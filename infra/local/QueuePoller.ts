import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Pool } from './createPool.ts';
import { deleteDelivered, toSqsEvent } from './eventSourceMapping.ts';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export type PollerOptions = {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  pool: Pool;
  pollers: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  logger: Logger;
};

/**
 * Polls one queue and invokes a handler as Lambda's event source mapping does: batches of up to
 * `batchSize`, at most the pool's size of invocations at once, deletes only the records the handler
 * did not report in `batchItemFailures`, and leaves the rest to come back after the visibility timeout.
 * `pollers` receive loops hand their batches to the pool and poll again at once, while a slot is free:
 * a few pollers keep many invocations busy, as Lambda's do (every waiting long poll wakes for each new
 * message in the emulator, so one poller per worker would mostly receive nothing).
 */
export class QueuePoller {
  readonly #options: PollerOptions;
  #running = false;
  #loops: Promise<void>[] = [];
  #invocations = new Set<Promise<void>>();
  #abort = new AbortController();

  constructor(options: PollerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running = true;
    for (let i = 0; i < this.#options.pollers; i++) this.#loops.push(this.#loop());
  }

  /** Stops receiving, and waits for the invocations in flight to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    await Promise.all(this.#loops);
    await Promise.all(this.#invocations);
  }

  async #loop(): Promise<void> {
    const o = this.#options;
    while (this.#running) {
      await o.pool.whenFree();
      if (!this.#running) return;
      let messages: Message[];
      try {
        const out = await o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queueUrl,
            MaxNumberOfMessages: o.batchSize,
            WaitTimeSeconds: 1,
            VisibilityTimeout: o.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          { abortSignal: this.#abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (!this.#running) return;
        o.logger.warn('receive failed; polling again', { queueUrl: o.queueUrl, error });
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      const invocation = o.pool.run(() => this.#invoke(messages));
      this.#invocations.add(invocation);
      void invocation.finally(() => this.#invocations.delete(invocation));
    }
  }

  async #invoke(messages: Message[]): Promise<void> {
    const o = this.#options;
    let result: SQSBatchResponse | undefined;
    try {
      result = await o.handler(toSqsEvent(messages, o.queueArn));
    } catch (error) {
      o.logger.error('invocation failed; the whole batch returns after its visibility timeout', { error });
      return;
    }
    try {
      await deleteDelivered(o.sqs, o.queueUrl, messages, result);
    } catch (error) {
      o.logger.warn('delete failed; the messages will be delivered again', { error });
    }
  }
}

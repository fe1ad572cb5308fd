import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** What a record's handler is given besides the record. */
export type RecordScope = {
  /**
   * A logger for this record's lines: each carries `keys` (its transaction's id) besides the invocation's
   * request id and cold start, and so does every child of it. The records of a batch run side by side,
   * so they cannot share one logger's keys; this one is dropped with the record.
   */
  logger(keys: Record<string, string | number>): Logger;
};

/**
 * The function's name (its log's `service`), its logger (each invocation's Lambda context goes on it),
 * and its metrics, written at the end of each invocation.
 */
export type BatchHandlerOptions = {
  service: string;
  logger: Logger;
  metrics?: { flush(): void };
  /** Runs once the batch's records are done, before the invocation returns (e.g. the counts kept for it). */
  afterBatch?: () => Promise<void>;
};

/**
 * A logger whose children say whether the invocation is a cold start as it does. Powertools' createChild
 * hands the context on but asks the new logger, and a new logger answers yes once: every child made in
 * a warm invocation (one per record, and the domain's own) would log `cold_start: true`.
 */
class InvocationLogger extends Logger {
  readonly #parent: InvocationLogger | undefined;
  #coldStart = false;

  constructor(options: ConstructorOptions, parent?: InvocationLogger) {
    super(options);
    this.#parent = parent;
  }

  protected override getColdStart(): boolean {
    // The root asks Powertools once per invocation (its addContext); a child repeats the root's answer.
    if (this.#parent) return this.#parent.getColdStart();
    return this.#coldStart;
  }

  /** Puts this invocation's context on the root, with Powertools' own answer to "is this a cold start". */
  startInvocation(context: Context): void {
    this.#coldStart = super.getColdStart();
    this.addContext(context);
  }

  protected override createLogger(options: ConstructorOptions = {}): Logger {
    return new InvocationLogger(options, this.#parent ?? this);
  }
}

/**
 * An SQS handler that runs `recordHandler` on a batch's records side by side and reports the ones
 * that threw as batch item failures, for SQS alone to deliver again. Each invocation's Lambda context
 * (none from the local runner, or a test) goes on the function's logger and on the records' loggers,
 * and the invocation's metrics are written once its batch is done.
 */
export function sqsBatchHandler(
  recordHandler: (record: SQSRecord, scope: RecordScope) => Promise<void>,
  options: BatchHandlerOptions,
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const root = new InvocationLogger({ serviceName: options.service, logLevel: options.logger.getLevelName() });
  const scope: RecordScope = { logger: (keys) => root.createChild({ persistentKeys: keys }) };
  return async (event, context) => {
    if (context) {
      options.logger.addContext(context);
      root.startInvocation(context);
    }
    try {
      // A processor per invocation: it holds the batch's state, and the local runner invokes concurrently.
      return await processPartialResponse(
        event,
        (record: SQSRecord) => recordHandler(record, scope),
        new BatchProcessor(EventType.SQS),
        { processInParallel: true, throwOnFullBatchFailure: false },
      );
    } finally {
      try {
        await options.afterBatch?.();
      } finally {
        options.metrics?.flush();
      }
    }
  };
}

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * An SQS handler that runs `recordHandler` on a batch's records side by side and reports the ones
 * that threw as batch item failures, for SQS alone to deliver again.
 */
export function sqsBatchHandler(
  recordHandler: (record: SQSRecord) => Promise<void>,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    // A processor per invocation: it holds the batch's state, and the local runner invokes concurrently.
    processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
      processInParallel: true,
      throwOnFullBatchFailure: false,
    });
}

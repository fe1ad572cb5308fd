import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { broadcastTransaction } from './lib/broadcast/broadcastTransaction.ts';
import { loadConfig } from './lib/config/loadConfig.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { broadcastDeps } from './lib/runtime/broadcastDeps.ts';
import { createRuntime } from './lib/runtime/createRuntime.ts';
import { broadcastMessageSchema } from './lib/transactions/messages.ts';

const runtime = createRuntime(loadConfig(), 'broadcaster');
const deps = broadcastDeps(runtime);
const processor = new BatchProcessor(EventType.SQS);

const recordHandler = async (record: SQSRecord) => {
  await broadcastTransaction(deps, parseRecord(record, broadcastMessageSchema));
};

/** Consumes the requests and the retry queue; a record that throws is retried by SQS alone. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> =>
  processPartialResponse(event, recordHandler, processor, { processInParallel: true, throwOnFullBatchFailure: false });

import type { SQSRecord } from 'aws-lambda';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadRuntime } from './lib/runtime/loadRuntime.ts';
import { responseMessageSchema } from './lib/transactions/messages.ts';
import { recordOutcome } from './lib/updater/recordOutcome.ts';

const runtime = await loadRuntime('updater', { chains: false });
const staleAfterMs = runtime.config.STALE_AFTER_SECONDS * 1000;

const recordHandler = async (record: SQSRecord) => {
  const response = parseRecord(record, responseMessageSchema);
  const result = await recordOutcome(runtime.transactions, response, staleAfterMs, new Date());
  runtime.logger.info('response recorded', { transactionId: response.id, status: response.status, result });
};

/** Consumes the responses queue and moves each transaction's status forward. */
export const handler = sqsBatchHandler(recordHandler);

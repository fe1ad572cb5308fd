import type { SQSRecord } from 'aws-lambda';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { responseMessageSchema } from './lib/transactions/messages.ts';
import { recordOutcome } from './lib/updater/recordOutcome.ts';

const services = await loadServices('updater', { chains: false });
const staleAfterMs = services.config.STALE_AFTER_SECONDS * 1000;

const recordHandler = async (record: SQSRecord) => {
  const response = parseRecord(record, responseMessageSchema);
  const result = await recordOutcome(services.transactions, response, staleAfterMs, new Date());
  services.logger.info('response recorded', { transactionId: response.id, status: response.status, result });
};

/** Consumes the responses queue and moves each transaction's status forward. */
export const handler = sqsBatchHandler(recordHandler);

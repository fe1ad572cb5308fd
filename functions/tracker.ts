import type { SQSRecord } from 'aws-lambda';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { trackTransaction } from './lib/tracker/trackTransaction.ts';
import { trackMessageSchema } from './lib/transactions/messages.ts';

// The tracker reads the table and the chains and reports to the responses queue; it never writes the table or signs.
const services = await loadServices('tracker');
const deps = {
  transactions: services.transactions,
  chains: services.chains,
  responses: services.queues.responses,
  tracking: services.queues.tracking,
  settings: {
    confirmations: services.config.CONFIRMATIONS,
    intervalSeconds: services.config.TRACK_INTERVAL_SECONDS,
  },
  logger: services.logger,
  now: () => new Date(),
};

const recordHandler = async (record: SQSRecord) => {
  await trackTransaction(deps, parseRecord(record, trackMessageSchema));
};

/** Consumes the tracking queue: follows each transaction the node took to its block and the chain's depth. */
export const handler = sqsBatchHandler(recordHandler);

import type { SQSRecord } from 'aws-lambda';
import { broadcastTransaction } from './lib/broadcast/broadcastTransaction.ts';
import { fillGap } from './lib/broadcast/fillGap.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { buildBroadcastDeps } from './lib/services/buildBroadcastDeps.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { broadcasterMessageSchema } from './lib/transactions/messages.ts';

const services = await loadServices('broadcaster');
const deps = await buildBroadcastDeps(services);

const recordHandler = async (record: SQSRecord) => {
  const message = parseRecord(record, broadcasterMessageSchema);
  if ('fill' in message) await fillGap(deps, message);
  else await broadcastTransaction(deps, message);
};

/** Consumes the requests and the retry queue (transactions, and nonce gaps to fill); a record that throws is retried by SQS alone. */
export const handler = sqsBatchHandler(recordHandler);

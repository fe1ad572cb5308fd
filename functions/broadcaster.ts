import type { SQSRecord } from 'aws-lambda';
import { broadcastTransaction } from './lib/broadcast/broadcastTransaction.ts';
import { fillGap } from './lib/broadcast/fillGap.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { broadcastDeps } from './lib/runtime/broadcastDeps.ts';
import { loadRuntime } from './lib/runtime/loadRuntime.ts';
import { broadcasterMessageSchema } from './lib/transactions/messages.ts';

const runtime = await loadRuntime('broadcaster');
const deps = await broadcastDeps(runtime);

const recordHandler = async (record: SQSRecord) => {
  const message = parseRecord(record, broadcasterMessageSchema);
  if ('fill' in message) await fillGap(deps, message);
  else await broadcastTransaction(deps, message);
};

/** Consumes the requests and the retry queue (transactions, and nonce gaps to fill); a record that throws is retried by SQS alone. */
export const handler = sqsBatchHandler(recordHandler);

import type { SQSRecord } from 'aws-lambda';
import { broadcastTransaction } from './lib/broadcast/broadcastTransaction.ts';
import { fillGap } from './lib/broadcast/fillGap.ts';
import { NotConfiguredError } from './lib/errors/errors.ts';
import { createServiceMetrics } from './lib/metrics/createServiceMetrics.ts';
import { parseRecord } from './lib/queue/parseRecord.ts';
import { type RecordScope, sqsBatchHandler } from './lib/queue/sqsBatchHandler.ts';
import { buildBroadcastDeps } from './lib/services/buildBroadcastDeps.ts';
import { loadServices } from './lib/services/loadServices.ts';
import { broadcasterMessageSchema } from './lib/transactions/messages.ts';

const services = await loadServices('broadcaster');
const { logger } = services;
const metrics = createServiceMetrics('broadcaster', { logger });
const deps = { ...(await buildBroadcastDeps(services)), metrics };

const recordHandler = async (record: SQSRecord, scope: RecordScope) => {
  // Sent before the chains secret lost its URLs: SQS keeps it (and the table its transaction) until it is put back.
  if (services.unconfigured.length > 0) throw new NotConfiguredError();
  const message = parseRecord(record, broadcasterMessageSchema);
  // A nonce to fill belongs to no transaction: its lines name the chain, the sender and the nonce.
  if ('fill' in message) await fillGap(deps, message);
  else await broadcastTransaction({ ...deps, logger: scope.logger({ transactionId: message.id }) }, message);
};

/** Consumes the requests and the retry queue (transactions, and nonce gaps to fill); a record that throws is retried by SQS alone. */
export const handler = sqsBatchHandler(recordHandler, { service: 'broadcaster', logger, metrics });

import type { Logger } from '@aws-lambda-powertools/logger';
import { ValidationError } from '../errors/AppError.ts';
import { fromZodError } from '../errors/fromZodError.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { TransactionStore } from '../store/TransactionStore.ts';
import type { Transaction } from '../transactions/model.ts';
import { normalizeRequest, transactionRequestSchema } from '../transactions/requestSchema.ts';

export type SubmitDeps = {
  transactions: TransactionStore;
  requests: QueueSender;
  chainIds: number[];
  defaultChainId: number;
  staleAfterMs: number;
  logger: Logger;
  now: () => Date;
  newId: () => string;
};

/**
 * Validates a request, records it `pending` (the point from which it is never lost), and enqueues
 * it. If the enqueue fails the record stays, and the sweep enqueues it once it is stale.
 */
export async function submitTransaction(deps: SubmitDeps, body: unknown): Promise<Transaction> {
  const parsed = transactionRequestSchema.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error, 'the transaction request');
  const request = normalizeRequest(parsed.data, deps.defaultChainId);
  if (!deps.chainIds.includes(request.chainId)) {
    throw new ValidationError(`chain ${request.chainId} is not configured`, [
      { path: 'chainId', message: `must be one of ${deps.chainIds.join(', ')}` },
    ]);
  }
  const now = deps.now();
  const createdAt = now.toISOString();
  const tx = {
    id: deps.newId(),
    ...request,
    message: 'Accepted; waiting to be broadcast.',
    createdAt,
  };
  await deps.transactions.create(tx, now.getTime() + deps.staleAfterMs);
  try {
    await deps.requests.send({ id: tx.id, attempt: 1 });
  } catch (error) {
    deps.logger.error('enqueue failed; the sweep will enqueue it', { transactionId: tx.id, error });
  }
  return { ...tx, status: 'pending', attempts: 0, history: [], updatedAt: createdAt };
}

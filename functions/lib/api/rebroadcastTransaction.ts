import { NotFoundError, NotRebroadcastableError } from '../errors/errors.ts';
import type { NewTransaction } from '../store/transactionKeys.ts';
import type { Transaction } from '../transactions/model.ts';
import { rebroadcastIdOf } from './rebroadcastIdOf.ts';
import { type RecordDeps, type Recorded, recordTransaction } from './recordTransaction.ts';

/** The request of a transaction as it was accepted: what a rebroadcast sends again. */
function sameRequest(old: Transaction, id: string, createdAt: string): NewTransaction {
  return {
    id,
    chainId: old.chainId,
    to: old.to,
    value: old.value,
    data: old.data,
    ...(old.function === undefined ? {} : { function: old.function }),
    ...(old.args === undefined ? {} : { args: old.args }),
    ...(old.requestedGas === undefined ? {} : { gas: old.requestedGas }),
    ...(old.client === undefined ? {} : { client: old.client }),
    ...(old.callbackUrl === undefined ? {} : { callbackUrl: old.callbackUrl }),
    rebroadcastOf: old.id,
    message: `Accepted as a rebroadcast of ${old.id}; waiting to be broadcast.`,
    createdAt,
  };
}

/**
 * Sends a failed transaction again as a new one: the same request under a new id (derived from the
 * old id), with `rebroadcastOf`, through the normal flow (fresh nonce, fresh attempts). The new
 * transaction is created first and the old one linked to it after (`rebroadcastAs`), each by one
 * conditional write: concurrent calls create one transaction, a repeat returns it (`replayed`), and a
 * call that died between the two writes is completed by the next one. The old transaction can never
 * land (a failed one's nonce is settled), so sending the request again cannot send it twice.
 */
export async function rebroadcastTransaction(deps: RecordDeps, id: string): Promise<Recorded> {
  const old = await deps.transactions.get(id);
  if (!old) throw new NotFoundError(`no transaction with id ${id}`, id);
  if (old.status !== 'failed') throw new NotRebroadcastableError(id, old.status);
  const newId = old.rebroadcastAs ?? rebroadcastIdOf(old.id);
  const recorded = await recordTransaction(deps, sameRequest(old, newId, deps.now().toISOString()));
  if (!recorded.replayed) deps.logger.info('rebroadcast accepted', { transactionId: newId, rebroadcastOf: id });
  if (!(await deps.transactions.linkRebroadcast(old.id, newId))) {
    throw new Error(`transaction ${id} could not be linked to its rebroadcast ${newId}`);
  }
  return recorded;
}

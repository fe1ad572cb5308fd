import type { Status, Transaction } from '../transactions/model.ts';
import { openShardCount } from './tableDesign.ts';

// How a transaction sits in the table: its key, the index keys it carries, and its first state. The
// readers and each writer of transactions (the api, the broadcaster, the updater, the sweep) share these.

/** The fields of a transaction when it is first accepted. */
export type NewTransaction = Pick<Transaction, 'id' | 'chainId' | 'to' | 'value' | 'data' | 'message' | 'createdAt'> & {
  gas?: string;
  function?: string;
  args?: unknown[];
  rebroadcastOf?: string;
  /** The client that submitted it (a rebroadcast keeps the failed one's). */
  client?: string;
  /** Not mined by then, it is canceled. */
  validUntil?: string;
  /** The signer the request named: it signs it, whatever the others' load. */
  from?: string;
  /** Where its events are posted. */
  callbackUrl?: string;
};

/** A place in the newest-first order of transactions: the page after it starts just below it. */
export type PageKey = { id: string; sortKey: string };

/** The table key of a transaction. */
export const txKey = (id: string) => ({ pk: `tx#${id}` });

/** The id of a transaction from its table key (an index entry that holds only keys has no `id`). */
export const idOf = (entry: Record<string, unknown>) => String(entry.pk).slice('tx#'.length);

/** The `byKind`/`byStatus` sort key: newest first by creation time, the id breaking ties. */
export const sortKeyOf = (tx: Pick<Transaction, 'createdAt' | 'id'>) => `${tx.createdAt}#${tx.id}`;

/** The statuses a transaction may still leave; every write that moves one forward starts from these. */
export const openStatusValues = { ':pending': 'pending', ':retrying': 'retrying' } as const;

/**
 * The attributes a transaction carries while it waits for a signer with room (the `waiting` index and
 * what the view shows): every write that signs it, closes it or ends it removes them.
 */
export const waitingAttributes = 'waiting, waitChain, waitSince';

/** `#status IN (:pending, :retrying)`, with `#status` and the values above: the transaction is not terminal. */
export const isOpen = '#status IN (:pending, :retrying)';

/** A transaction as it is first recorded: pending, no attempt yet, the requested gas kept apart. */
export function initialState(tx: NewTransaction): Transaction {
  return {
    ...tx,
    ...(tx.gas === undefined ? {} : { requestedGas: tx.gas }),
    status: 'pending',
    attempts: 0,
    history: [],
    updatedAt: tx.createdAt,
  };
}

/** Spreads open transactions over the shards of the `open` index, stably per id. */
export function openShardOf(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return `open#${Math.abs(hash) % openShardCount}`;
}

/** The index key of a page's place: a position, so the item need not still be there (it may have changed status). */
export function startKeyOf(
  filter: { status?: Status | undefined; client?: string | undefined },
  after: PageKey,
): Record<string, unknown> {
  const partition =
    filter.client !== undefined
      ? { client: filter.client }
      : filter.status === undefined
        ? { kind: 'tx' }
        : { status: filter.status };
  return { ...txKey(after.id), ...partition, sortKey: after.sortKey };
}

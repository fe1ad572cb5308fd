import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ResponseMessage } from '../transactions/messages.ts';
import { type Status, statuses, type Transaction, transactionSchema } from '../transactions/model.ts';
import { getItems } from './getItems.ts';
import { isConditionFailure } from './isConditionFailure.ts';
import { openShardCount, senderKeyOf } from './tableDesign.ts';

/** The fields of a transaction when it is first accepted. */
export type NewTransaction = Pick<Transaction, 'id' | 'chainId' | 'to' | 'value' | 'data' | 'message' | 'createdAt'> & {
  gas?: string;
  function?: string;
  args?: unknown[];
  rebroadcastOf?: string;
};

/** What signing stores on a transaction, once. */
export type Signature = {
  chainId: number;
  from: string;
  nonce: number;
  rawTx: string;
  txHash: string;
  gas: string;
};

export type StaleTransaction = { id: string; attempts: number };

/** A place in the newest-first order of transactions: the page after it starts just below it. */
export type PageKey = { id: string; sortKey: string };

/** Which transactions to list: one status or all, created in `[from, to)` (ISO 8601, UTC), newest first. */
export type ListQuery = { status?: Status; from?: string; to?: string; limit: number; after?: PageKey };

/** One page of a listing, and where the next (older) one starts when there is one. */
export type TransactionPage = { items: Transaction[]; next?: PageKey };

/** The domain's view of the transactions table. */
export type TransactionStore = {
  create(tx: NewTransaction, dueAt: number): Promise<void>;
  /** Like `create`, but an id accepted already is no error: resolves false (a concurrent idempotent repeat). */
  createIfAbsent(tx: NewTransaction, dueAt: number): Promise<boolean>;
  get(id: string): Promise<Transaction | undefined>;
  claimForSigning(id: string, lease: { token: string; until: number }, now: number): Promise<Transaction | undefined>;
  saveSignature(id: string, token: string, signature: Signature, now: Date): Promise<boolean>;
  releaseClaim(id: string, token: string): Promise<void>;
  reserveNonce(
    id: string,
    token: string,
    reservation: { chainId: number; from: string; nonce: number },
  ): Promise<boolean>;
  closeUnsigned(id: string, token: string, reason: string): Promise<boolean>;
  applyResponse(response: ResponseMessage, dueAt: number): Promise<'applied' | 'ignored'>;
  findStale(now: number, limit: number): Promise<StaleTransaction[]>;
  postpone(id: string, dueAt: number): Promise<void>;
  /** Newest first, from an index (`byKind`, or `byStatus` for one status); never a scan. */
  list(query: ListQuery): Promise<TransactionPage>;
  /** How many transactions of each status were created in `[from, to)`. */
  countByStatus(range: Pick<ListQuery, 'from' | 'to'>): Promise<Record<Status, number>>;
  /** Marks a failed transaction as sent again as `newId`; false when it is not failed or was sent again as another. */
  linkRebroadcast(id: string, newId: string): Promise<boolean>;
};

const txKey = (id: string) => ({ pk: `tx#${id}` });
/** The id of a transaction from its table key (an index entry that holds only keys has no `id`). */
const idOf = (entry: Record<string, unknown>) => String(entry.pk).slice('tx#'.length);

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

function parse(item: Record<string, unknown> | undefined): Transaction | undefined {
  return item ? transactionSchema.parse(item) : undefined;
}

/**
 * The key condition of a listing: one partition of `byKind` or `byStatus`, and `sortKey`
 * (`createdAt#id`) in `[from, to)`. ISO timestamps of one format order as strings do, and a sort key
 * that starts with `to` is longer than `to`, so `BETWEEN from AND to` is exactly `from <= createdAt < to`.
 */
function listCondition(status: Status | undefined, range: Pick<ListQuery, 'from' | 'to'>) {
  const partition = status === undefined ? { name: 'kind', value: 'tx' } : { name: 'status', value: status };
  const values: Record<string, unknown> = { ':p': partition.value };
  let sortCondition = '';
  if (range.from !== undefined && range.to !== undefined) {
    sortCondition = ' AND sortKey BETWEEN :from AND :to';
    values[':from'] = range.from;
    values[':to'] = range.to;
  } else if (range.from !== undefined) {
    sortCondition = ' AND sortKey >= :from';
    values[':from'] = range.from;
  } else if (range.to !== undefined) {
    sortCondition = ' AND sortKey < :to';
    values[':to'] = range.to;
  }
  return {
    IndexName: status === undefined ? 'byKind' : 'byStatus',
    KeyConditionExpression: `#p = :p${sortCondition}`,
    ExpressionAttributeNames: { '#p': partition.name },
    ExpressionAttributeValues: values,
  };
}

/** The index key of a page's place: a position, so the item need not still be there (it may have changed status). */
function startKeyOf(status: Status | undefined, after: PageKey): Record<string, unknown> {
  const partition = status === undefined ? { kind: 'tx' } : { status };
  return { ...txKey(after.id), ...partition, sortKey: after.sortKey };
}

/** The transactions table on DynamoDB (or dynalite). */
export function createTransactionStore(doc: DynamoDBDocumentClient, tableName: string): TransactionStore {
  const TableName = tableName;

  async function update(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) {
    try {
      const out = await doc.send(new UpdateCommand({ TableName, ...input }));
      return out.Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async function applyTerminal(r: ResponseMessage, withAttempts: boolean) {
    const entry = { attempt: r.attempt, at: r.at, outcome: r.status, ...(r.error ? { error: r.error } : {}) };
    const sets = [
      '#status = :status',
      '#message = :message',
      'updatedAt = :at',
      'history = list_append(if_not_exists(history, :empty), :entry)',
    ];
    const values: Record<string, unknown> = {
      ':status': r.status,
      ':message': r.message,
      ':at': r.at,
      ':entry': [entry],
      ':empty': [],
      ':pending': 'pending',
      ':retrying': 'retrying',
    };
    if (withAttempts) {
      sets.push('attempts = :attempt');
      values[':attempt'] = r.attempt;
    }
    if (r.txHash) {
      sets.push('txHash = :hash');
      values[':hash'] = r.txHash;
    }
    if (r.filledBy) {
      sets.push('filledBy = :filledBy');
      values[':filledBy'] = r.filledBy;
    }
    const conditions = [
      '#status IN (:pending, :retrying)', // -- nothing leaves a terminal status
      ...(withAttempts ? ['attempts <= :attempt'] : []), // -- attempts never decrease
    ];
    return update({
      Key: txKey(r.id),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE openShard, dueAt, leaseToken, leaseUntil`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: { '#status': 'status', '#message': 'message' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
  }

  return {
    async create(tx, dueAt) {
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            ...txKey(tx.id),
            kind: 'tx',
            sortKey: `${tx.createdAt}#${tx.id}`,
            ...initialState(tx),
            openShard: openShardOf(tx.id),
            dueAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)', // -- an id is accepted once
        }),
      );
    },

    async createIfAbsent(tx, dueAt) {
      try {
        await this.create(tx, dueAt);
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async get(id) {
      const out = await doc.send(new GetCommand({ TableName, Key: txKey(id), ConsistentRead: true }));
      return parse(out.Item);
    },

    async claimForSigning(id, lease, now) {
      const item = await update({
        Key: txKey(id),
        UpdateExpression: 'SET leaseToken = :token, leaseUntil = :until',
        ConditionExpression: [
          'attribute_exists(pk)',
          'attribute_not_exists(rawTx)', // -- a transaction is signed once
          'attribute_not_exists(signingClosed)', // -- one that failed unsigned is never signed later
          '#status IN (:pending, :retrying)', // -- terminal transactions are left alone
          '(attribute_not_exists(leaseUntil) OR leaseUntil < :now)', // -- one signer at a time
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':token': lease.token,
          ':until': lease.until,
          ':now': now,
          ':pending': 'pending',
          ':retrying': 'retrying',
        },
        ReturnValues: 'ALL_NEW',
      });
      return parse(item);
    },

    async saveSignature(id, token, signature, now) {
      const item = await update({
        Key: txKey(id),
        UpdateExpression:
          'SET #from = :from, nonce = :nonce, rawTx = :raw, txHash = :hash, gas = :gas, signedAt = :at, senderKey = :sender',
        ConditionExpression: [
          'attribute_not_exists(rawTx)', // -- a transaction is signed once
          'leaseToken = :token', // -- only the worker that claimed it may sign it
          'leaseUntil > :now', // -- an expired claim's nonce is left for the gap filler
          '#status IN (:pending, :retrying)', // -- a terminal transaction is never signed
          '(attribute_not_exists(nonce) OR nonce = :nonce)', // -- a reserved nonce is the one signed with
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from', '#status': 'status' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':retrying': 'retrying',
          ':from': signature.from,
          ':nonce': signature.nonce,
          ':raw': signature.rawTx,
          ':hash': signature.txHash,
          ':gas': signature.gas,
          ':at': now.toISOString(),
          ':sender': senderKeyOf(signature.chainId, signature.from),
          ':token': token,
          ':now': now.getTime(),
        },
        ReturnValues: 'UPDATED_NEW',
      });
      return item !== undefined;
    },

    async reserveNonce(id, token, reservation) {
      const item = await update({
        Key: txKey(id),
        UpdateExpression: 'SET nonce = :nonce, #from = :from, senderKey = :sender',
        ConditionExpression: [
          'leaseToken = :token', // -- only the worker that took the nonce for it
          'attribute_not_exists(nonce)', // -- a transaction holds one nonce, ever
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from' },
        ExpressionAttributeValues: {
          ':nonce': reservation.nonce,
          ':from': reservation.from,
          ':sender': senderKeyOf(reservation.chainId, reservation.from),
          ':token': token,
        },
        ReturnValues: 'UPDATED_NEW',
      });
      return item !== undefined;
    },

    async closeUnsigned(id, token, reason) {
      const item = await update({
        Key: txKey(id),
        UpdateExpression: 'SET signingClosed = :reason REMOVE leaseToken, leaseUntil',
        ConditionExpression: [
          'leaseToken = :token', // -- we hold the claim, so nobody is signing it
          'attribute_not_exists(rawTx)', // -- nothing was signed that could still land
        ].join(' AND '),
        ExpressionAttributeValues: { ':reason': reason, ':token': token },
        ReturnValues: 'UPDATED_NEW',
      });
      return item !== undefined;
    },

    async releaseClaim(id, token) {
      await update({
        Key: txKey(id),
        UpdateExpression: 'REMOVE leaseToken, leaseUntil',
        ConditionExpression: 'leaseToken = :token', // -- only our own claim
        ExpressionAttributeValues: { ':token': token },
      });
    },

    async applyResponse(r, dueAt) {
      if (r.status === 'retrying') {
        const entry = { attempt: r.attempt, at: r.at, outcome: r.status, ...(r.error ? { error: r.error } : {}) };
        const item = await update({
          Key: txKey(r.id),
          UpdateExpression:
            'SET #status = :status, #message = :message, attempts = :attempt, updatedAt = :at, dueAt = :due, history = list_append(if_not_exists(history, :empty), :entry)',
          ConditionExpression: [
            '#status IN (:pending, :retrying)', // -- nothing leaves a terminal status
            'attempts < :attempt', // -- attempts never decrease; a repeated report changes nothing
          ].join(' AND '),
          ExpressionAttributeNames: { '#status': 'status', '#message': 'message' },
          ExpressionAttributeValues: {
            ':status': 'retrying',
            ':message': r.message,
            ':attempt': r.attempt,
            ':at': r.at,
            ':due': dueAt,
            ':entry': [entry],
            ':empty': [],
            ':pending': 'pending',
            ':retrying': 'retrying',
          },
          ReturnValues: 'UPDATED_NEW',
        });
        if (item) return 'applied';
        // The same attempt reported again (a spent transaction still being settled): history and
        // attempts stay, but the sweep's due time moves on so it does not start another check.
        const refreshed = await update({
          Key: txKey(r.id),
          UpdateExpression: 'SET #message = :message, updatedAt = :at, dueAt = :due',
          ConditionExpression: '#status = :retrying AND attempts = :attempt', // -- same attempt, still open
          ExpressionAttributeNames: { '#status': 'status', '#message': 'message' },
          ExpressionAttributeValues: {
            ':message': r.message,
            ':attempt': r.attempt,
            ':at': r.at,
            ':due': dueAt,
            ':retrying': 'retrying',
          },
          ReturnValues: 'UPDATED_NEW',
        });
        return refreshed ? 'applied' : 'ignored';
      }
      if (await applyTerminal(r, true)) return 'applied';
      // A terminal outcome from an earlier attempt than the one recorded (a duplicate delivery
      // finished late) still ends the transaction, without lowering `attempts`.
      return (await applyTerminal(r, false)) ? 'applied' : 'ignored';
    },

    async findStale(now, limit) {
      const found: StaleTransaction[] = [];
      for (let shard = 0; shard < openShardCount && found.length < limit; shard++) {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: 'open',
            KeyConditionExpression: 'openShard = :shard AND dueAt <= :now',
            ExpressionAttributeValues: { ':shard': `open#${shard}`, ':now': now },
            Limit: limit - found.length,
          }),
        );
        for (const item of out.Items ?? []) {
          found.push({ id: String(item.id), attempts: Number(item.attempts ?? 0) });
        }
      }
      return found;
    },

    async list(query) {
      const condition = listCondition(query.status, query);
      // One more than asked: whether it comes back says whether there is a next page.
      const wanted = query.limit + 1;
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined = query.after ? startKeyOf(query.status, query.after) : undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            ...condition,
            ScanIndexForward: false, // -- newest first
            Limit: wanted - items.length,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start && items.length < wanted);
      // The index holds keys only: the page is read from the table, as each transaction is now. An index
      // lags its table on AWS, so a transaction that has left the status asked for since is left out (the
      // page may come out short; the next one still starts after the last entry read).
      const entries = items.slice(0, query.limit);
      const last = entries.at(-1);
      const page = (
        await getItems(
          doc,
          TableName,
          entries.map((entry) => ({ pk: String(entry.pk) })),
        )
      ).filter((item) => query.status === undefined || item.status === query.status);
      return {
        items: page.map((item) => transactionSchema.parse(item)),
        ...(items.length > query.limit && last ? { next: { id: idOf(last), sortKey: String(last.sortKey) } } : {}),
      };
    },

    async countByStatus(range) {
      const counts: Record<Status, number> = { pending: 0, retrying: 0, success: 0, failed: 0 };
      await Promise.all(
        statuses.map(async (status) => {
          const condition = listCondition(status, range);
          let start: Record<string, unknown> | undefined;
          do {
            const out = await doc.send(
              new QueryCommand({ TableName, ...condition, Select: 'COUNT', ExclusiveStartKey: start }),
            );
            counts[status] += out.Count ?? 0;
            start = out.LastEvaluatedKey;
          } while (start);
        }),
      );
      return counts;
    },

    async linkRebroadcast(id, newId) {
      const item = await update({
        Key: txKey(id),
        UpdateExpression: 'SET rebroadcastAs = :new',
        ConditionExpression: [
          '#status = :failed', // -- only a failed transaction is sent again
          '(attribute_not_exists(rebroadcastAs) OR rebroadcastAs = :new)', // -- and only once
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':new': newId, ':failed': 'failed' },
        ReturnValues: 'UPDATED_NEW',
      });
      return item !== undefined;
    },

    async postpone(id, dueAt) {
      await update({
        Key: txKey(id),
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression: 'attribute_exists(openShard)', // -- only transactions still open
        ExpressionAttributeValues: { ':due': dueAt },
      });
    },
  };
}

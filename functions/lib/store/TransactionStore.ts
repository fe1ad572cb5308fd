import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ResponseMessage } from '../transactions/messages.ts';
import { type Transaction, transactionSchema } from '../transactions/model.ts';
import { isConditionFailure } from './isConditionFailure.ts';
import { openShardCount, senderKeyOf } from './tableDesign.ts';

/** The fields of a transaction when it is first accepted. */
export type NewTransaction = Pick<Transaction, 'id' | 'chainId' | 'to' | 'value' | 'data' | 'message' | 'createdAt'> & {
  gas?: string;
  function?: string;
  args?: unknown[];
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

/** The domain's view of the transactions table. */
export type TransactionStore = {
  create(tx: NewTransaction, dueAt: number): Promise<void>;
  /** Like `create`, but an id accepted already is no error: resolves false (a concurrent idempotent repeat). */
  createIfAbsent(tx: NewTransaction, dueAt: number): Promise<boolean>;
  get(id: string): Promise<Transaction | undefined>;
  claimForSigning(id: string, lease: { token: string; until: number }, now: number): Promise<Transaction | undefined>;
  saveSignature(id: string, token: string, signature: Signature, now: Date): Promise<boolean>;
  releaseClaim(id: string, token: string): Promise<void>;
  applyResponse(response: ResponseMessage, dueAt: number): Promise<'applied' | 'ignored'>;
  findStale(now: number, limit: number): Promise<StaleTransaction[]>;
  postpone(id: string, dueAt: number): Promise<void>;
};

const txKey = (id: string) => ({ pk: `tx#${id}` });

/** Spreads open transactions over the shards of the `open` index, stably per id. */
export function openShardOf(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return `open#${Math.abs(hash) % openShardCount}`;
}

function parse(item: Record<string, unknown> | undefined): Transaction | undefined {
  return item ? transactionSchema.parse(item) : undefined;
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
            ...tx,
            status: 'pending',
            attempts: 0,
            history: [],
            updatedAt: tx.createdAt,
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
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from' },
        ExpressionAttributeValues: {
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
        return item ? 'applied' : 'ignored';
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

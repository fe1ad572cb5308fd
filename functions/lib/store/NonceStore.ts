import { type DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { SignerFullError } from '../errors/errors.ts';
import { conditionalPut, conditionalUpdate } from './conditionalWrite.ts';
import { getItems } from './getItems.ts';
import { senderKeyOf } from './tableDesign.ts';

export type NonceCounter = {
  chainId: number;
  from: string;
  next: number;
  allocatedAt: number;
  /** Nonces [from, to) were skipped because someone else used them (the counter was raised past them). */
  external?: { from: number; to: number };
};

/** A zero-value self-transfer that uses up a nonce nothing else will use. Signed once per nonce. */
export type Filler = {
  chainId: number;
  from: string;
  nonce: number;
  rawTx: string;
  txHash: string;
  reason: string;
  forId?: string;
  createdAt: string;
  /** Set once it was re-priced: when its latest signature (`rawTx`, `txHash`) was made. */
  repricedAt?: string;
  /** The hashes of the signatures it replaced, for the same nonce: any one of them may be the one mined. */
  previous?: string[];
};

/** What holds one nonce of a sender: a signed transaction of ours, or a filler. */
export type NonceHolder =
  | {
      kind: 'tx';
      nonce: number;
      id: string;
      status: string;
      rawTx: string;
      txHash: string;
      signedAt: string;
      /** Since when it waits at the fee cap, if it does. */
      stuckSince?: string;
      /** The signature the chain mined (its receipt's), once the tracker read one. */
      minedTxHash?: string;
      /** The bytes of its earlier signatures, each kept once another replaced it (the latest are `rawTx`). */
      earlierRawTx?: string[];
    }
  | { kind: 'filler'; nonce: number; rawTx: string; txHash: string; createdAt: string; repricedAt?: string };

/** Nonce counters per (chain, sender), fillers, and which record holds which nonce. */
export type NonceStore = {
  /**
   * Takes `count` (default 1) consecutive nonces at once and returns the first. With `limit`, the
   * nonces taken stay below it (the sender's mined nonce plus its in-flight cap): throws SignerFullError
   * when they would not, and takes none.
   */
  allocate(
    chainId: number,
    from: string,
    seed: () => Promise<number>,
    now: number,
    count?: number,
    limit?: number,
  ): Promise<number>;
  /** The counters of these senders on one chain (a sender with none yet is left out), strongly consistent. */
  readCounters(chainId: number, senders: readonly string[]): Promise<NonceCounter[]>;
  raiseFloor(chainId: number, from: string, floor: number): Promise<void>;
  counters(): Promise<NonceCounter[]>;
  holders(chainId: number, from: string, lowest: number, highest: number): Promise<NonceHolder[]>;
  /** Stores the nonce's one filler, unless it has one: that one is returned, `created` false. */
  createFiller(filler: Filler): Promise<{ filler: Filler; created: boolean }>;
  findFiller(chainId: number, from: string, nonce: number): Promise<Filler | undefined>;
  /** Stores a re-priced filler as the latest signature of its nonce, when `replaces` still is; false otherwise. */
  replaceFiller(
    filler: Pick<Filler, 'chainId' | 'from' | 'nonce'>,
    replaces: string,
    next: { rawTx: string; txHash: string; at: string },
  ): Promise<boolean>;
};

const stuckSinceOf = (stuck: unknown) =>
  typeof stuck === 'object' && stuck !== null && 'since' in stuck ? String(stuck.since) : undefined;

const counterKey = (chainId: number, from: string) => ({ pk: `nonce#${senderKeyOf(chainId, from)}` });
const fillerKey = (chainId: number, from: string, nonce: number) => ({
  pk: `filler#${senderKeyOf(chainId, from)}#${nonce}`,
});

/** Nonce bookkeeping on DynamoDB with single-item conditional writes only. */
export function createNonceStore(doc: DynamoDBDocumentClient, tableName: string): NonceStore {
  const TableName = tableName;

  /** The first of `count` nonces taken, or undefined when the counter is not seeded yet; throws SignerFullError past `limit`. */
  async function takeNext(
    chainId: number,
    from: string,
    now: number,
    count: number,
    limit: number | undefined,
  ): Promise<number | undefined> {
    const capped = limit !== undefined;
    const old = await conditionalUpdate(doc, {
      TableName,
      Key: counterKey(chainId, from),
      UpdateExpression: 'SET #next = #next + :count, allocatedAt = :now',
      ConditionExpression: capped
        ? 'attribute_exists(#next) AND #next <= :lastStart' // -- seeded, and the nonces taken stay below the limit
        : 'attribute_exists(#next)', // -- seeded from the chain first
      ExpressionAttributeNames: { '#next': 'next' },
      ExpressionAttributeValues: { ':count': count, ':now': now, ...(capped ? { ':lastStart': limit - count } : {}) },
      ReturnValues: 'UPDATED_OLD',
    });
    if (old !== undefined) return Number(old.next);
    if (!capped) return undefined;
    // Refused: not seeded yet, or full. Only a read tells which.
    const item = (await doc.send(new GetCommand({ TableName, Key: counterKey(chainId, from), ConsistentRead: true })))
      .Item;
    if (item === undefined) return undefined;
    throw new SignerFullError(chainId, from, limit);
  }

  /** What a transaction's entry says the chain mined: the receipt's signature, and the bytes of the earlier ones. */
  const minedOf = (item: Record<string, unknown>): { minedTxHash?: string; earlierRawTx?: string[] } => {
    const receipt = item.receipt as { txHash?: unknown } | undefined;
    const earlier = ((item.hashes as Array<{ rawTx?: unknown }> | undefined) ?? [])
      .map((h) => h.rawTx)
      .filter((raw): raw is string => typeof raw === 'string');
    return {
      ...(typeof receipt?.txHash === 'string' ? { minedTxHash: receipt.txHash } : {}),
      ...(earlier.length > 0 ? { earlierRawTx: earlier } : {}),
    };
  };

  const toCounter = (item: Record<string, unknown>): NonceCounter => ({
    chainId: Number(item.chainId),
    from: String(item.from),
    next: Number(item.next),
    allocatedAt: Number(item.allocatedAt ?? 0),
    ...(item.externalTo === undefined
      ? {}
      : { external: { from: Number(item.externalFrom), to: Number(item.externalTo) } }),
  });

  async function readFiller(key: { pk: string }): Promise<Filler | undefined> {
    const item = (await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item;
    if (!item) return undefined;
    return {
      chainId: Number(item.chainId),
      from: String(item.from),
      nonce: Number(item.nonce),
      rawTx: String(item.rawTx),
      txHash: String(item.txHash),
      reason: String(item.reason),
      createdAt: String(item.createdAt),
      ...(item.forId ? { forId: String(item.forId) } : {}),
      ...(item.repricedAt ? { repricedAt: String(item.repricedAt) } : {}),
      ...(Array.isArray(item.previous) ? { previous: item.previous.map(String) } : {}),
    };
  }

  return {
    async allocate(chainId, from, seed, now, count = 1, limit = undefined) {
      const taken = await takeNext(chainId, from, now, count, limit);
      if (taken !== undefined) return taken;
      const start = await seed();
      await conditionalPut(doc, {
        TableName,
        Item: {
          ...counterKey(chainId, from),
          kind: 'counter',
          sortKey: senderKeyOf(chainId, from),
          chainId,
          from,
          next: start,
          allocatedAt: now,
        },
        ConditionExpression: 'attribute_not_exists(pk)', // -- another worker may have seeded it
      });
      const afterSeed = await takeNext(chainId, from, now, count, limit);
      if (afterSeed === undefined) throw new Error(`nonce counter for ${from} on ${chainId} vanished`);
      return afterSeed;
    },

    async raiseFloor(chainId, from, floor) {
      await conditionalUpdate(doc, {
        TableName,
        Key: counterKey(chainId, from),
        // Both right-hand sides read the item as it was: the skipped range is [old next, floor).
        UpdateExpression: 'SET #next = :floor, externalFrom = #next, externalTo = :floor',
        ConditionExpression: '#next < :floor', // -- the counter only moves up
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: { ':floor': floor },
      });
    },

    async counters() {
      const found: NonceCounter[] = [];
      const pages = paginateQuery(
        { client: doc },
        {
          TableName,
          IndexName: 'byKind',
          KeyConditionExpression: 'kind = :kind',
          ExpressionAttributeValues: { ':kind': 'counter' },
        },
      );
      for await (const out of pages) {
        // The index holds keys only: the counters are read from the table.
        const items = await getItems(
          doc,
          TableName,
          (out.Items ?? []).map((entry) => ({ pk: String(entry.pk) })),
        );
        for (const item of items) found.push(toCounter(item));
      }
      return found;
    },

    async readCounters(chainId, senders) {
      const items = await getItems(
        doc,
        TableName,
        senders.map((from) => counterKey(chainId, from)),
      );
      return items.map(toCounter);
    },

    async holders(chainId, from, lowest, highest) {
      const found: NonceHolder[] = [];
      const pages = paginateQuery(
        { client: doc },
        {
          TableName,
          IndexName: 'bySender',
          KeyConditionExpression: 'senderKey = :sender AND nonce BETWEEN :low AND :high',
          ExpressionAttributeValues: { ':sender': senderKeyOf(chainId, from), ':low': lowest, ':high': highest },
        },
      );
      for await (const out of pages) {
        for (const item of out.Items ?? []) {
          // A transaction that reserved a nonce but was never signed has no bytes yet.
          const common = {
            nonce: Number(item.nonce),
            rawTx: String(item.rawTx ?? ''),
            txHash: String(item.txHash ?? ''),
          };
          found.push(
            item.kind === 'filler'
              ? {
                  kind: 'filler',
                  ...common,
                  createdAt: String(item.createdAt),
                  ...(item.repricedAt ? { repricedAt: String(item.repricedAt) } : {}),
                }
              : {
                  kind: 'tx',
                  ...common,
                  id: String(item.id),
                  status: String(item.status),
                  signedAt: String(item.signedAt),
                  ...(stuckSinceOf(item.stuck) ? { stuckSince: stuckSinceOf(item.stuck) as string } : {}),
                  ...minedOf(item),
                },
          );
        }
      }
      return found;
    },

    async createFiller(filler) {
      const key = fillerKey(filler.chainId, filler.from, filler.nonce);
      const created = await conditionalPut(doc, {
        TableName,
        Item: {
          ...key,
          kind: 'filler',
          sortKey: `${filler.createdAt}#${filler.txHash}`,
          senderKey: senderKeyOf(filler.chainId, filler.from),
          ...filler,
        },
        ConditionExpression: 'attribute_not_exists(pk)', // -- one filler per nonce, signed once
      });
      if (created) return { filler, created: true };
      const existing = await readFiller(key);
      if (!existing) throw new Error(`filler for nonce ${filler.nonce} vanished`);
      return { filler: existing, created: false };
    },

    findFiller(chainId, from, nonce) {
      return readFiller(fillerKey(chainId, from, nonce));
    },

    async replaceFiller(filler, replaces, next) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: fillerKey(filler.chainId, filler.from, filler.nonce),
        UpdateExpression:
          'SET rawTx = :raw, txHash = :hash, repricedAt = :at, previous = list_append(if_not_exists(previous, :none), :old)',
        ConditionExpression: 'txHash = :old1', // -- the signature replaced is still the latest: one replacement at a time
        ExpressionAttributeValues: {
          ':raw': next.rawTx,
          ':hash': next.txHash,
          ':at': next.at,
          ':none': [],
          ':old': [replaces],
          ':old1': replaces,
        },
      });
      return item !== undefined;
    },
  };
}

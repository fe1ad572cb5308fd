import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Key = { pk: string };
type Item = Record<string, unknown>;

/** BatchGetItem takes at most 100 keys a request. */
const batchLimit = 100;
/** Rounds of re-asking for the keys DynamoDB left unprocessed (throttling) before giving up. */
const maxRounds = 8;

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads the items of `keys` (strongly consistent unless `consistent: false`, at half the cost) with
 * BatchGetItem, 100 keys a request, asking again with backoff for the keys DynamoDB leaves unprocessed.
 * Returns the items found, in the order of `keys`; a key with no item is left out. The indexes that
 * project only keys are read through this.
 */
export async function getItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
  options: { consistent?: boolean } = {},
): Promise<Item[]> {
  const ConsistentRead = options.consistent ?? true;
  const found = new Map<string, Item>();
  const wanted = [...new Map(keys.map((k) => [k.pk, k])).values()];
  for (let offset = 0; offset < wanted.length; offset += batchLimit) {
    let pending: Key[] = wanted.slice(offset, offset + batchLimit);
    for (let round = 0; pending.length > 0; round++) {
      if (round === maxRounds)
        throw new Error(`BatchGetItem left ${pending.length} keys unprocessed ${maxRounds} times`);
      if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round) * Math.random());
      const out = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.set(String(item.pk), item);
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    }
  }
  return keys.flatMap((k) => {
    const item = found.get(k.pk);
    return item ? [item] : [];
  });
}

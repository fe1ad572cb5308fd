import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { indexes } from '../../functions/lib/store/tableDesign.ts';

type Item = Record<string, unknown>;

async function scanAll(doc: DynamoDBDocumentClient, TableName: string, IndexName?: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ TableName, ExclusiveStartKey: start, ...(IndexName ? { IndexName } : {}) }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const sameKey = (a: Item, b: Item, attrs: readonly string[]) => attrs.every((k) => a[k] === b[k]);

/**
 * dynalite writes an item's index entries and the item itself in separate steps, so a process
 * killed between them leaves an index pointing at nothing, or missing an entry (DynamoDB itself
 * keeps its indexes). At start-up the local runner puts them right: each entry that disagrees with
 * its item is rewritten through the item (dynalite drops an entry when its item's key attributes
 * change or the item goes), and an item missing from an index it belongs in is written again.
 * Returns how many entries were repaired.
 */
export async function repairIndexes(doc: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const items = new Map((await scanAll(doc, tableName)).map((i) => [String(i.pk), i]));
  const lackingEntry = new Set<string>();
  let repaired = 0;
  for (const [name, index] of Object.entries(indexes)) {
    const attrs = [index.partitionKey, index.sortKey];
    const inIndex = new Set<string>();
    for (const entry of await scanAll(doc, tableName, name)) {
      const item = items.get(String(entry.pk));
      if (item && sameKey(item, entry, attrs)) {
        inIndex.add(String(entry.pk));
        continue;
      }
      repaired++;
      // Give the item the stale entry's keys for a moment, then move it back to its real state (or away):
      // dynalite drops an entry when the item it was written from changes those keys. An entry may copy
      // only keys, so the rest of the item comes from the item itself.
      const staleKeys = Object.fromEntries(attrs.map((k) => [k, entry[k]]));
      await doc.send(new PutCommand({ TableName: tableName, Item: { ...(item ?? entry), ...staleKeys } }));
      if (item) await doc.send(new PutCommand({ TableName: tableName, Item: item }));
      else await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: entry.pk } }));
    }
    // An item with this index's key attributes but no entry for them is missing from the index.
    for (const [pk, item] of items) {
      if (attrs.every((k) => item[k] !== undefined) && !inIndex.has(pk)) lackingEntry.add(pk);
    }
  }
  // Writing an item again writes each of its index entries: only the items that lack one need it.
  for (const pk of lackingEntry) {
    repaired++;
    await doc.send(new PutCommand({ TableName: tableName, Item: items.get(pk) }));
  }
  return repaired;
}

import { isDeepStrictEqual } from 'node:util';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { rebuildStatusCounts, recountDay } from '../../functions/lib/store/recountStatusCounts.ts';
import { countsSinceKey, everyDay } from '../../functions/lib/store/StatusCounts.ts';
import { type IndexDesign, indexes } from '../../functions/lib/store/tableDesign.ts';

type Item = Record<string, unknown>;

async function scanAll(doc: DynamoDBDocumentClient, TableName: string, IndexName?: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan({ client: doc }, { TableName, ...(IndexName ? { IndexName } : {}) })) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

const sameKey = (a: Item, b: Item, attrs: readonly string[]) => attrs.every((k) => a[k] === b[k]);

/** What an index entry copies of an item: the keys and the projected attributes (all of them for `'all'`). */
function copiedOf(index: IndexDesign, item: Item): Item {
  if (index.projection === 'all') return item;
  const names = ['pk', index.partitionKey, index.sortKey, ...index.projection];
  return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));
}

/** The record that holds an item's true state while a repair rewrites it: in no index (no key attributes). */
const journalPrefix = 'repair#';

/** Puts back every item a repair was rewriting when the process stopped, from its journal record. */
async function finishInterruptedRepairs(doc: DynamoDBDocumentClient, TableName: string, journal: Item[]) {
  for (const record of journal) {
    if (record.item) await doc.send(new PutCommand({ TableName, Item: record.item as Item }));
    else await doc.send(new DeleteCommand({ TableName, Key: { pk: String(record.pk).slice(journalPrefix.length) } }));
    await doc.send(new DeleteCommand({ TableName, Key: { pk: record.pk } }));
  }
}

/**
 * dynalite writes an item's index entries and the item itself in separate steps, so a process
 * killed between them leaves an index pointing at nothing, or missing an entry (DynamoDB itself
 * keeps its indexes). At start-up the local runner puts them right: each entry that disagrees with
 * its item is rewritten through the item (dynalite drops an entry when its item's key attributes
 * change or the item goes), and an item missing from an index it belongs in, or whose entry copies
 * an older state of it, is written again. Rewriting through the item gives it the stale keys for a moment; the item's true state is
 * journaled first, so a repair that is itself interrupted is finished at the next start-up and
 * never leaves an item in an older state. Only the indexes in `present` (those the table has) are
 * checked. Returns how many entries were repaired.
 */
export async function repairIndexes(
  doc: DynamoDBDocumentClient,
  tableName: string,
  present: ReadonlySet<string> = new Set(Object.keys(indexes)),
): Promise<number> {
  const scanned = await scanAll(doc, tableName);
  const journal = scanned.filter((i) => String(i.pk).startsWith(journalPrefix));
  if (journal.length > 0) {
    await finishInterruptedRepairs(doc, tableName, journal);
    return journal.length + (await repairIndexes(doc, tableName, present));
  }
  const items = new Map(scanned.map((i) => [String(i.pk), i]));
  const rewrite = new Set<string>();
  let repaired = 0;
  for (const [name, index] of Object.entries(indexes) as Array<[string, IndexDesign]>) {
    // An index the table does not have (a table made before it) has nothing to repair, and cannot be scanned.
    if (!present.has(name)) continue;
    const attrs = [index.partitionKey, index.sortKey];
    const inIndex = new Set<string>();
    for (const entry of await scanAll(doc, tableName, name)) {
      const item = items.get(String(entry.pk));
      if (item && sameKey(item, entry, attrs)) {
        inIndex.add(String(entry.pk));
        // The right place, but an older copy of what the index copies: writing the item again rewrites it.
        if (!isDeepStrictEqual(copiedOf(index, entry), copiedOf(index, item))) rewrite.add(String(entry.pk));
        continue;
      }
      repaired++;
      // Give the item the stale entry's keys for a moment, then move it back to its real state (or away):
      // dynalite drops an entry when the item it was written from changes those keys. An entry may copy
      // only keys, so the rest of the item comes from the item itself.
      const staleKeys = Object.fromEntries(attrs.map((k) => [k, entry[k]]));
      const journaled = { pk: `${journalPrefix}${String(entry.pk)}`, ...(item ? { item } : {}) };
      await doc.send(new PutCommand({ TableName: tableName, Item: journaled }));
      await doc.send(new PutCommand({ TableName: tableName, Item: { ...(item ?? entry), ...staleKeys } }));
      if (item) await doc.send(new PutCommand({ TableName: tableName, Item: item }));
      else await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: entry.pk } }));
      await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: journaled.pk } }));
    }
    // An item with this index's key attributes but no entry for them is missing from the index.
    for (const [pk, item] of items) {
      if (attrs.every((k) => item[k] !== undefined) && !inIndex.has(pk)) rewrite.add(pk);
    }
  }
  // Writing an item again writes each of its index entries: only the items that lack one, or whose
  // entry copies an older state, need it.
  for (const pk of rewrite) {
    repaired++;
    await doc.send(new PutCommand({ TableName: tableName, Item: items.get(pk) }));
  }
  return repaired;
}

/**
 * Puts the admin's day counters (functions/lib/store/StatusCounts.ts) right at start-up, before anything
 * writes: after an unclean stop (a kill between a status write and its count leaves a day short), run
 * after `repairIndexes`, since it counts from the byStatus index; and once on a table made before the
 * counters, or whose counters do not cover every day, which then no longer counts any day from the
 * indexes. After an unclean stop with `days` (the days whose counts the dynalite journal found owed or
 * overpaid: `atomicDynalite.ts`) only those days are recounted; without, every day. After a clean stop,
 * on counters that cover every day, only the days given (a count write that failed while the table ran)
 * are recounted.
 * Returns how many days it recounted, or undefined when there was nothing to do (or the table lacks the
 * indexes a count reads).
 */
export async function repairStatusCounts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: { uncleanStop: boolean; present?: ReadonlySet<string>; days?: readonly string[] },
): Promise<number | undefined> {
  const present = options.present ?? new Set(Object.keys(indexes));
  if (!present.has('byStatus') || !present.has('byKind')) return undefined;
  const since = await doc.send(new GetCommand({ TableName: tableName, Key: countsSinceKey, ConsistentRead: true }));
  const everyDayCounted = since.Item?.day === everyDay;
  if (everyDayCounted && options.days !== undefined && (options.uncleanStop || options.days.length > 0)) {
    for (const day of options.days) await recountDay(doc, tableName, day);
    return options.days.length;
  }
  if (!options.uncleanStop && everyDayCounted) return undefined;
  return rebuildStatusCounts(doc, tableName);
}

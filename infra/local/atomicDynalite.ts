import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { countedStatuses } from '../../functions/lib/store/StatusCounts.ts';

// dynalite (4.0.0, db/index.js `updateIndexes`) writes an item's index entries, then the item, each as a
// LevelDB write of its own: a process killed between them leaves an index pointing at nothing, missing an
// entry, or copying an older state, which the runner then had to find by reading every item and every
// index at start-up. Here each write of an item and its index entries is one LevelDB batch, which LevelDB
// applies whole or not at all (its log record carries a checksum; a torn one is dropped on reopening).
// The action that called it then puts (or deletes) the item itself, under the item's lock: that one
// write, already made in the batch, is skipped.

type Item = Record<string, unknown>;
type Callback = (error?: unknown) => void;
type Table = { TableName: string; KeySchema: unknown[] } & Record<string, unknown>;
type IndexAction = { index: string; key: string; item?: Item };
type DynaliteDb = {
  updateIndexes(store: Store, table: Table, existing: Item | undefined, item: Item | null, cb: Callback): void;
  getIndexActions(
    indexes: unknown[],
    existing: Item | undefined,
    item: Item | null,
    table: Table,
  ): { puts: IndexAction[]; deletes: IndexAction[] };
  createKey(item: Item, table: Table): string;
  create(options: unknown): Store;
};
type BatchOp = { type: 'put'; key: string; value: Item } | { type: 'del'; key: string };
type LevelIterator = { next(): Promise<unknown>; close(): Promise<void> };
type MainDb = {
  batch(ops: BatchOp[], cb: Callback): void;
  compactRange?(start: string, end: string): Promise<void>;
  keys(options?: unknown): LevelIterator;
  values(options?: unknown): LevelIterator;
  createKeyStream(options?: unknown): Readable;
  createValueStream(options?: unknown): Readable;
};
type SubDb = {
  put(key: string, value: Item, cb: Callback): void;
  del(key: string, cb: Callback): void;
  [made]?: Map<string, Item | null>;
};
type Store = { db: MainDb; getItemDb(name: string): SubDb };

/** Told of each write with the item before and after (`null`: deleted): `before` it is made, `after` it was. */
export type WriteHooks = {
  before?: (tableName: string, existing: Item | undefined, item: Item | null) => void;
  after?: (tableName: string, existing: Item | undefined, item: Item | null) => void;
};

const patched = Symbol('atomic');

const made = Symbol('made in the batch');

/**
 * The item sub-database of a table, taught to skip the one put or delete of a key that the batch made
 * already (`made`: key to the very item object written, or null for a delete). dynalite holds the
 * item's lock from its index update to its own write, so nothing else writes the key in between.
 */
function itemDbOf(store: Store, tableName: string): Map<string, Item | null> {
  const sub = store.getItemDb(tableName);
  if (sub[made]) return sub[made];
  const done = new Map<string, Item | null>();
  const { put, del } = sub;
  sub.put = (key, value, cb) => {
    if (done.get(key) === value) {
      done.delete(key);
      return cb();
    }
    put.call(sub, key, value, cb);
  };
  sub.del = (key, cb) => {
    if (done.has(key) && done.get(key) === null) {
      done.delete(key);
      return cb();
    }
    del.call(sub, key, cb);
  };
  sub[made] = done;
  return done;
}

/**
 * dynalite reads every query and scan through a stream over a LevelDB iterator, which its stream never
 * closes (it calls `iterator.return`, which abstract-level's iterators do not have), and classic-level
 * frees an iterator only when it is closed or the database is. Each open iterator holds a snapshot and
 * the files of its moment: no compaction could drop an entry overwritten or removed after the first
 * query, reads walked every version ever written (an empty query of the `open` index: 2.5 ms at 1,000
 * transactions, 10 ms at 10,000), and no obsolete file was deleted while the runner ran (950 MB at
 * 10,000 transactions, 84 MB once reopened). These streams close their iterator when they end or are
 * destroyed.
 */
function streamOver(iterator: LevelIterator): Readable {
  return new Readable({
    objectMode: true,
    read() {
      iterator.next().then(
        (value) => this.push(value === undefined ? null : value),
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      iterator.close().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}

/**
 * LevelDB compacts in the background as it goes; what a burst of writes leaves (overlapping files of
 * level 0, removed entries kept as tombstones until a compaction reaches the deepest level) costs reads
 * until then. So once this many writes were made and none came for `idleMs`, the whole database is
 * compacted, one compaction at a time (281 ms for the 76 MB of 10,000 transactions): a runner at rest
 * reads what it stores, not its last burst.
 */
const compactAfterWrites = 2_000;
const idleMs = 2_000;

function createIdleCompactor() {
  let writes = 0;
  let lastWriteAt = 0;
  let db: Store['db'] | undefined;
  let running = false;
  const timer = setInterval(() => {
    const compact = db?.compactRange;
    if (running || writes < compactAfterWrites || Date.now() - lastWriteAt < idleMs) return;
    if (!db || typeof compact !== 'function') return; // in memory (memory-level): nothing to compact
    writes = 0;
    running = true;
    compact
      .call(db, '\u0000', '\uffff')
      .catch(() => undefined) // tried again after the next writes
      .finally(() => {
        running = false;
      });
  }, 500);
  timer.unref();
  return (store: Store) => {
    db = store.db;
    writes++;
    lastWriteAt = Date.now();
  };
}

/**
 * Makes every item write of the dynalite in this thread one LevelDB batch with its index entries, so no
 * kill can tear an item from its indexes. `hooks.before` (the count journal) is told first, synchronously,
 * and `hooks.after` once the batch is written. The prefixes are dynalite's own (`getItemDb`, `getIndexDb`:
 * a sub-database's name and `~`).
 */
export function makeDynaliteWritesAtomic(hooks: WriteHooks = {}): void {
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db') as DynaliteDb & { [patched]?: true };
  if (db[patched]) return;
  db[patched] = true;
  const create = db.create;
  db.create = (options) => {
    const store = create(options);
    store.db.createKeyStream = (o) => streamOver(store.db.keys(o));
    store.db.createValueStream = (o) => streamOver(store.db.values(o));
    return store;
  };
  const wrote = createIdleCompactor();
  db.updateIndexes = (store, table, existing, item, cb) => {
    if (!existing && !item) return cb();
    const deletes: BatchOp[] = [];
    const puts: BatchOp[] = [];
    for (const type of ['Local', 'Global'] as const) {
      const indexes = (table[`${type}SecondaryIndexes`] as unknown[] | undefined) ?? [];
      const actions = db.getIndexActions(indexes, existing, item, table);
      const prefix = (index: string) => `index-${type.toLowerCase()}~${table.TableName}~${index}~`;
      for (const a of actions.deletes) deletes.push({ type: 'del', key: prefix(a.index) + a.key });
      for (const a of actions.puts) puts.push({ type: 'put', key: prefix(a.index) + a.key, value: a.item ?? {} });
    }
    const key = db.createKey((item ?? existing) as Item, table);
    const itemKey = `item-${table.TableName}~${key}`;
    // As dynalite does them: the entries that go, then the ones that come (a key in both ends put), then the item.
    const own: BatchOp = item ? { type: 'put', key: itemKey, value: item } : { type: 'del', key: itemKey };
    try {
      hooks.before?.(table.TableName, existing, item);
    } catch (error) {
      return cb(error);
    }
    const done = itemDbOf(store, table.TableName);
    store.db.batch([...deletes, ...puts, own], (error) => {
      if (!error) done.set(key, item);
      if (!error) wrote(store);
      try {
        if (!error) hooks.after?.(table.TableName, existing, item);
      } catch {
        // A count not noted leaves its day unbalanced: recounted after a kill, never wrong.
      }
      cb(error);
    });
  };
}

/** A string or a number attribute of an item in DynamoDB JSON. */
const attr = (it: Item | null | undefined, name: string): string | undefined => {
  const v = it?.[name] as { S?: unknown; N?: unknown } | undefined;
  return typeof v?.S === 'string' ? v.S : typeof v?.N === 'string' ? v.N : undefined;
};

const counted: ReadonlySet<string> = new Set(countedStatuses);

/**
 * A change to one day's counts: per counted status, how many more (or fewer) it should hold; `kind` says
 * whether a transaction's status change owes it or a counter's write pays it.
 */
export type DayChange = { day: string; kind: 'status' | 'count'; change: Record<string, number> };

/**
 * What a write changes in the day counters' books, for the count journal:
 * - a transaction item whose status changes: its creation day should count one more of its new status and
 *   one fewer of its old (`pending` is not counted, as in `StatusCounts.ts`);
 * - a day's counter item: what it added to each status, taken away (the counting that was owed is done);
 * - a counter rebuilt from the index (`recountedAt` changed, or the item deleted): nothing, a recount is
 *   the truth and owes nothing.
 * Summed over a run, a day's changes are zero when its counters count every status change made.
 */
export function countChange(existing: Item | undefined, item: Item | null): DayChange | undefined {
  const subject = item ?? existing;
  const pk = attr(subject, 'pk') ?? '';
  const change: Record<string, number> = {};
  let day: string | undefined;
  const kind = pk.startsWith('tx#') ? 'status' : 'count';
  if (kind === 'status') {
    const before = attr(existing, 'status');
    const after = attr(item, 'status');
    if (before === after) return undefined;
    day = attr(subject, 'createdAt')?.slice(0, 10);
    if (after && counted.has(after)) change[after] = 1;
    if (before && counted.has(before)) change[before] = (change[before] ?? 0) - 1;
  } else {
    day = /^count#(\d{4}-\d{2}-\d{2})#/.exec(pk)?.[1];
    if (!day || !item || attr(item, 'recountedAt') !== attr(existing, 'recountedAt')) return undefined;
    for (const status of counted) {
      const added = Number(attr(item, status) ?? 0) - Number(attr(existing, status) ?? 0);
      if (added !== 0) change[status] = -added;
    }
  }
  if (!day || Object.keys(change).length === 0) return undefined;
  return { day, kind, change };
}

/**
 * The count journal: each status change made and each count written, summed per day and status, in a
 * file of this process under `dir`. A status change is noted before its write, a count after its write,
 * so a kill between them, or a count write that failed or was made twice, leaves its day unbalanced;
 * a kill while every change is counted leaves nothing to recount. The file is rewritten with only what
 * is still unbalanced every `compactEvery` notes, and at a clean stop (removed when that is nothing: a
 * count lost while the table ran is recounted after a clean stop too); what is left at the next start
 * (`leftDays`) names the days to recount.
 *
 * Each note is appended as `\n` and lines that end in ` ;`: a note cut short (the disk full) ends no line
 * and is read as nothing, and the next note still starts a line of its own. A note not made whole leaves
 * its day unbalanced (a status change noted, its write refused; or a count written, not noted): a recount
 * more, never a count taken for done.
 */
export type CountJournal = {
  /** Before a write: a status change it makes. */
  before(existing: Item | undefined, item: Item | null): void;
  /** After a write: a count it made. */
  after(existing: Item | undefined, item: Item | null): void;
  /** The table closed cleanly: keeps only what is unbalanced, for the next start to recount. */
  stop(): void;
};

const journalSuffix = '.counts';
const journalLine = /^(\d{4}-\d{2}-\d{2}) ([a-z]+) (-?\d+) ;$/;

export function startCountJournal(dir: string, compactEvery = 10_000): CountJournal {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${Date.now()}-${process.pid}${journalSuffix}`);
  const balance = new Map<string, number>();
  let notes = 0;
  const line = (key: string, n: number) => `${key} ${n} ;\n`;
  const compact = () => {
    let text = '';
    for (const [key, n] of balance) {
      if (n === 0) balance.delete(key);
      else text += line(key, n);
    }
    notes = 0;
    if (text === '') return rmSync(file, { force: true });
    try {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    } catch (error) {
      // The file as it was names the same days and more; a partial rewrite is not left beside it.
      try {
        rmSync(`${file}.tmp`, { force: true });
      } catch {}
      throw error;
    }
  };
  const note = (existing: Item | undefined, item: Item | null, kind: DayChange['kind']) => {
    const found = countChange(existing, item);
    if (found?.kind !== kind) return;
    let text = '\n';
    for (const [status, n] of Object.entries(found.change)) {
      const key = `${found.day} ${status}`;
      balance.set(key, (balance.get(key) ?? 0) + n);
      text += line(key, n);
    }
    appendFileSync(file, text);
    if (++notes >= compactEvery) compact();
  };
  return {
    before: (existing, item) => note(existing, item, 'status'),
    after: (existing, item) => note(existing, item, 'count'),
    stop: compact,
  };
}

/**
 * The days the journals left in `dir` name, and their files (with any rewrite a kill cut short, which
 * names nothing: the journal it rewrote is whole): each day some status of which the lines do not sum to
 * zero. Journals of older runners (`.days`) are read as they were written: a line that is only
 * a day names its day, and their sums end no line in ` ;`.
 */
export function leftDays(dir: string): { days: string[]; files: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(counts|days)(\.tmp)?$/.test(n));
  } catch {
    return { days: [], files: [] };
  }
  const files = names.map((n) => join(dir, n));
  const days = new Set<string>();
  const sums = new Map<string, number>();
  for (const f of files) {
    if (f.endsWith('.tmp')) continue; // a rewrite a kill cut short: its journal is whole beside it
    const older = f.endsWith('.days');
    for (const text of readFileSync(f, 'utf8').split('\n')) {
      if (older && /^\d{4}-\d{2}-\d{2}$/.test(text)) days.add(text);
      const parts = older ? /^(\d{4}-\d{2}-\d{2}) ([a-z]+) (-?\d+)$/.exec(text) : journalLine.exec(text);
      if (!parts) continue;
      const key = `${parts[1]} ${parts[2]}`;
      sums.set(key, (sums.get(key) ?? 0) + Number(parts[3]));
    }
  }
  for (const [key, n] of sums) if (n !== 0) days.add(key.slice(0, 10));
  return { days: [...days].sort(), files };
}

/**
 * The runner's dynalite, as the emulator thread starts it: every write atomic, and with `journalDir` the
 * count journal kept there. Call before `dynalite()`; returns the journal.
 */
export function mendDynalite(journalDir?: string): CountJournal | undefined {
  const journal = journalDir ? startCountJournal(journalDir) : undefined;
  makeDynaliteWritesAtomic(
    journal
      ? {
          before: (_table, existing, item) => journal.before(existing, item),
          after: (_table, existing, item) => journal.after(existing, item),
        }
      : {},
  );
  return journal;
}

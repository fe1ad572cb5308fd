import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';

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

/** Told of each write before it is made, with the item before and after (`null`: deleted). */
export type BeforeWrite = (tableName: string, existing: Item | undefined, item: Item | null) => void;

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
 * kill can tear an item from its indexes. `beforeWrite` (the day journal) is told first, synchronously.
 * The prefixes are dynalite's own (`getItemDb`, `getIndexDb`: a sub-database's name and `~`).
 */
export function makeDynaliteWritesAtomic(beforeWrite?: BeforeWrite): void {
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
      beforeWrite?.(table.TableName, existing, item);
    } catch (error) {
      return cb(error);
    }
    const done = itemDbOf(store, table.TableName);
    store.db.batch([...deletes, ...puts, own], (error) => {
      if (!error) done.set(key, item);
      if (!error) wrote(store);
      cb(error);
    });
  };
}

/** The creation day of a transaction item whose status a write changes (DynamoDB JSON), if it is one. */
export function statusChangeDay(existing: Item | undefined, item: Item | null): string | undefined {
  const s = (it: Item | null | undefined, name: string) => {
    const v = it?.[name] as { S?: unknown } | undefined;
    return typeof v?.S === 'string' ? v.S : undefined;
  };
  const subject = item ?? existing;
  if (!s(subject, 'pk')?.startsWith('tx#')) return undefined;
  if (s(existing, 'status') === s(item, 'status')) return undefined;
  return s(subject, 'createdAt')?.slice(0, 10);
}

/**
 * The days whose counters a kill may have left short: the creation day of each transaction whose status
 * changed in the last `keepMs` (at least), in files under `dir`, one per period of this process, each day
 * once per file, written before the write it notes. A clean stop removes this process's files; what is
 * left at the next start (`leftDays`) names the days to recount.
 */
export type DayJournal = { note(day: string): void; stop(): void };

export function startDayJournal(dir: string, keepMs = 1_800_000): DayJournal {
  mkdirSync(dir, { recursive: true });
  const run = `${Date.now()}-${process.pid}`;
  const file = (period: number) => join(dir, `${run}-${period}.days`);
  let period = 0;
  let noted = new Set<string>();
  // A day noted just before a turn stays in the previous file for one more period: at least `keepMs`.
  const timer = setInterval(() => {
    rmSync(file(period - 1), { force: true });
    period++;
    noted = new Set();
  }, keepMs);
  timer.unref();
  return {
    note(day) {
      if (noted.has(day)) return;
      appendFileSync(file(period), `${day}\n`);
      noted.add(day);
    },
    stop() {
      clearInterval(timer);
      for (const p of [period - 1, period]) rmSync(file(p), { force: true });
    },
  };
}

/** The days the journals left in `dir` name (those of a process that did not stop cleanly), and their files. */
export function leftDays(dir: string): { days: string[]; files: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.days'));
  } catch {
    return { days: [], files: [] };
  }
  const files = names.map((n) => join(dir, n));
  const days = new Set<string>();
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) if (/^\d{4}-\d{2}-\d{2}$/.test(line)) days.add(line);
  }
  return { days: [...days].sort(), files };
}

/**
 * The runner's dynalite, as the emulator thread starts it: every write atomic, and with `journalDir` the
 * creation day of each status change noted there first. Call before `dynalite()`; returns the journal.
 */
export function mendDynalite(journalDir?: string): DayJournal | undefined {
  const journal = journalDir ? startDayJournal(journalDir) : undefined;
  makeDynaliteWritesAtomic((_table, existing, item) => {
    const day = journal && statusChangeDay(existing, item);
    if (day) journal?.note(day);
  });
  return journal;
}

import type { Counts } from './createCounters.ts';

/** What one transaction cost the pipeline, on average over a run. */
export type PerTransaction = {
  awsRequests: {
    /** As counted on the local stack. */
    total: number;
    /**
     * As on AWS, where each api invocation serves one request: the api's sends count one request per
     * message (locally, concurrent requests share one `SendMessageBatch`).
     */
    awsEquivalent: number;
    byOperation: Record<string, number>;
    /** By function; `event source mappings` are the pollers' receives and deletes (on AWS, Lambda's). */
    byFunction: Record<string, Record<string, number>>;
  };
  rpcCalls: { total: number; byMethod: Record<string, number> };
  /** Writes (requests) to the table, every kind of item: the transaction's, the nonce counter's, idempotency keys. */
  tableWrites: number;
  signatures: number;
  dynamo: {
    /** Write capacity units of the table, as the emulator computes them from item sizes. */
    tableWriteUnits: number;
    /** The same with the writes into the indexes as DynamoDB makes them, estimated (`indexWritesPerWrite`). */
    writeUnitsWithIndexes: number;
    readUnits: number;
  };
  lambda: {
    invocations: Record<string, number>;
    /** Milliseconds of each function per transaction, as measured locally (an upper bound: one shared thread). */
    ms: Record<string, number>;
    /** Records per invocation of the queue consumers. */
    recordsPerInvocation: Record<string, number>;
  };
  sqs: { emptyReceives: number };
  logBytes: number;
  /** CPU milliseconds the stack's process spent (every thread: handlers, emulators, pollers), and its main thread's load. */
  stackCpuMs: number;
  mainThreadUtilization: number;
};

/**
 * Index writes on AWS per table write, by key prefix and operation, on the happy path. DynamoDB writes
 * an index only when the write adds or removes the item's entry, changes its key (a delete and a put:
 * two), or changes an attribute the index copies (`functions/lib/store/tableDesign.ts`). A transaction:
 * - PutItem: enters byKind, byStatus, open and byClient (4);
 * - claim (lease attributes): 0, no index copies them;
 * - signature (`senderKey`, `rawTx`…): enters bySender (1);
 * - outcome `success`: byStatus key changes (2), its `open` entry moves to a later `dueAt` and copies the
 *   status (2), bySender copies everything (1), byClient copies the status (1);
 * - the tracker's `confirmed` at depth 1 (the local chain's): byStatus key changes (2), leaves open (1),
 *   bySender (1), byClient (1). A chain of depth 2 or more adds `mined` before it: byStatus 2, open 2
 *   (its `dueAt`), bySender 1, byClient 1, priced in as it comes (its updates are counted).
 * So 12 index writes over its 4 updates at depth 1. A nonce counter's update changes no key (byKind
 * copies keys only); a filler enters byKind and bySender; idempotency records are in no index. Each
 * index entry is under 1 KB: one write unit. Off the happy path the model is low: a retry writes 6
 * index entries (byStatus 2, open 2, bySender 1, byClient 1) and a sweep's postponement 2 (open).
 */
const indexWritesPerWrite: Record<string, number> = {
  'tx.PutItem': 4,
  'tx.UpdateItem': 12 / 4, // -- the four updates to confirmed; a run that stops at success prices a little high
  'filler.PutItem': 2,
  'nonce.PutItem': 1,
  'nonce.UpdateItem': 0,
  'idem.PutItem': 0,
};

const round = (n: number) => Math.round(n * 1000) / 1000;
const scaled = (r: Record<string, number>, by: number) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v / by)]));
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Divides a run's counts by its `n` transactions; `apiMs` is the mean `POST` time, standing in for the api's duration. */
export function perTransaction(counts: Counts, n: number, logBytes: number, apiMs: number): PerTransaction {
  const byOperation: Record<string, number> = {};
  const byFunction: Record<string, Record<string, number>> = {};
  for (const [owner, ops] of Object.entries(counts.aws)) {
    const name = owner === 'local-runner' ? 'event source mappings' : owner;
    byFunction[name] = scaled(ops, n);
    for (const [op, count] of Object.entries(ops)) byOperation[op] = (byOperation[op] ?? 0) + count;
  }
  const total = sum(byOperation);
  const apiSqs = Object.entries(counts.aws.api ?? {})
    .filter(([op]) => op.startsWith('SQS.Send'))
    .reduce((a, [, v]) => a + v, 0);
  const rpcByMethod: Record<string, number> = {};
  for (const methods of Object.values(counts.rpc)) {
    for (const [m, v] of Object.entries(methods)) rpcByMethod[m] = (rpcByMethod[m] ?? 0) + v;
  }
  // A BatchGetItem reads each item it asks for: priced per item, as GetItem.
  const reads =
    Object.entries(byOperation)
      .filter(([op]) => /^DynamoDB\.(GetItem|Query)$/.test(op))
      .reduce((a, [, v]) => a + v, 0) + counts.batchGetKeys;
  const indexWrites = Object.entries(counts.writesByPrefix).reduce(
    (a, [write, count]) => a + count * (indexWritesPerWrite[write] ?? 0),
    0,
  );
  const withIndexes = sum(counts.tableWriteUnits) + indexWrites;
  const invocations: Record<string, number> = { api: 1 };
  const ms: Record<string, number> = { api: round(apiMs) };
  const recordsPerInvocation: Record<string, number> = {};
  for (const [fn, inv] of Object.entries(counts.invocations)) {
    invocations[fn] = round(inv.count / n);
    ms[fn] = round(inv.totalMs / n);
    recordsPerInvocation[fn] = round(inv.records / Math.max(1, inv.count));
  }
  return {
    awsRequests: {
      total: round(total / n),
      awsEquivalent: round((total - apiSqs) / n + 1),
      byOperation: scaled(byOperation, n),
      byFunction,
    },
    rpcCalls: { total: round(sum(rpcByMethod) / n), byMethod: scaled(rpcByMethod, n) },
    tableWrites: round(sum(counts.writesByPrefix) / n),
    signatures: round(counts.signatures / n),
    dynamo: {
      tableWriteUnits: round(sum(counts.tableWriteUnits) / n),
      writeUnitsWithIndexes: round(withIndexes / n),
      readUnits: round(reads / n),
    },
    lambda: { invocations, ms, recordsPerInvocation },
    sqs: { emptyReceives: round(counts.emptyReceives / n) },
    logBytes: round(logBytes / n),
    stackCpuMs: round(counts.cpuMs / n),
    mainThreadUtilization: round(counts.mainThreadUtilization),
  };
}

/**
 * What following each transaction from \`success\` to its depth adds, per transaction, from a run counted to
 * the end: the tracker's own AWS requests and RPC calls, the updater's writes of what it saw (receipts),
 * and the tracking queue's messages. (The updater's and the pollers' share of handling those messages is
 * in the totals, not here: they are batched with the broadcaster's.)
 */
export type TrackingAdds = {
  trackerAwsRequests: Record<string, number>;
  trackerRpcCalls: Record<string, number>;
  receiptWrites: number;
  trackingMessages: { sent: number; received: number; deleted: number };
};

export function trackingAdds(counts: Counts, n: number): TrackingAdds {
  const m = counts.messages.tracking ?? { sent: 0, received: 0, deleted: 0 };
  return {
    trackerAwsRequests: scaled(counts.aws.tracker ?? {}, n),
    trackerRpcCalls: scaled(counts.rpc.tracker ?? {}, n),
    receiptWrites: round(counts.receiptWrites / n),
    trackingMessages: { sent: round(m.sent / n), received: round(m.received / n), deleted: round(m.deleted / n) },
  };
}

import { localSigningLeaseSeconds } from '../functions/lib/config/loadConfig.ts';
import type { IdempotencyRecord } from '../functions/lib/store/IdempotencyStore.ts';

// What the CDK stack (infra/stack/) and the local runner (infra/local/) must agree on, written once: the
// functions, the queues and who consumes them, batch sizes, timeouts, the signing lease, the sweep's
// schedule and retention. Plain values and small rules, nothing from aws-cdk-lib: the local runner and the
// benchmark read it without loading CDK. Where the local runner must differ, the entry says so in `local`,
// with why; nothing else in either runtime may differ.

/** The service's functions, one per handler module (infra/handlers.ts). */
export const functionNames = ['api', 'broadcaster', 'updater', 'tracker', 'notifier', 'sweep', 'authorizer'] as const;
export type FunctionName = (typeof functionNames)[number];

/** The queues; each has a dead-letter queue of its own. */
export const queueNames = ['requests', 'retry', 'responses', 'tracking', 'notifications'] as const;
export type QueueName = (typeof queueNames)[number];

/** A function as it is deployed: what it does, how long it may run, its memory. */
export type FunctionTopology = {
  description: string;
  timeoutSeconds: number;
  /** MB; Lambda bills duration by it (the benchmark's cost estimate reads it too). */
  memoryMb: number;
  /** A fixed concurrency; a queue consumer's instead follows from its mappings (`reservedConcurrency`). */
  concurrency?: number;
  /** How the local runner differs for this function. */
  local?: { runs: false; why: string };
};

/** Each function; the queues' visibility timeouts and the signing lease follow from the timeouts. */
export const functions = {
  // API Gateway gives up on an integration at 30 s; the api waits at most 25 s for an outcome.
  api: { description: 'HTTP API: validates, stores and enqueues transactions', timeoutSeconds: 29, memoryMb: 512 },
  broadcaster: {
    description: 'Signs with KMS and broadcasts; retries with backoff',
    timeoutSeconds: 60,
    memoryMb: 512,
  },
  updater: { description: 'Applies outcomes; status only moves forward', timeoutSeconds: 30, memoryMb: 256 },
  tracker: {
    description: 'Follows each broadcast transaction to its block and the chain depth; notices reorgs and drops',
    timeoutSeconds: 30,
    memoryMb: 256,
  },
  notifier: {
    // Each delivery waits at most 10 s (functions/lib/webhooks/deliveryPolicy.ts), all of a batch at once: one
    // slow receiver holds up no other.
    description: 'Delivers signed webhooks; retries each with backoff, then the dead-letter queue',
    timeoutSeconds: 30,
    memoryMb: 256,
  },
  sweep: {
    description: 'On its schedule: re-enqueues stale transactions, asks the broadcaster to fill nonce gaps',
    // Under the one-minute schedule (`sweepSchedule`) and the sweep's lease (55 s), so a run ends, and frees
    // the lease, before the next one starts.
    timeoutSeconds: 50,
    memoryMb: 512,
    // One sweep at a time: two would race to fill the same nonce gap. The lease in the table
    // (functions/lib/sweep/sweepLease.ts) keeps it so on AWS, not a reserved concurrency of 1 that a new
    // account's quota may refuse; the local runner chains its runs.
  },
  authorizer: {
    description: 'API Gateway Lambda authorizer: bearer tokens against hashes',
    timeoutSeconds: 10,
    memoryMb: 256,
    local: {
      runs: false,
      why: 'API Gateway calls it before the api; locally the api checks bearer tokens itself (AUTH_MODE=local)',
    },
  },
} as const satisfies Record<FunctionName, FunctionTopology>;

/**
 * The worker pool (`WORKERS` locally, `-c workers=` on AWS): concurrent invocations of the broadcaster
 * over the requests queue, and of the updater. An SQS event source mapping's maximum concurrency is 2 to 1000.
 */
export const workers = {
  default: 8,
  min: 2,
  max: 1000,
  local: {
    min: 1,
    max: 256,
    why: 'one pool in one process: no mapping minimum of 2 applies, and one process runs no more than 256 usefully',
  },
} as const;

/** Messages per invocation (`BATCH_SIZE`, `-c batchSize=`): SQS receives at most 10 without a batching window. */
export const batchSize = { default: 10, min: 1, max: 10 } as const;

/** A queue: the function its event source mapping invokes, and that mapping's maximum concurrency. */
export type QueueTopology = {
  consumer: FunctionName;
  maxConcurrency: (workers: number) => number;
  /** The local runner's receive loops on the queue (Lambda runs its own pollers). */
  local: { pollers: number };
};

/** Each queue and its consumer. The local runner gives each consumer one pool instead (`localPool`). */
export const queues = {
  requests: { consumer: 'broadcaster', maxConcurrency: (w) => w, local: { pollers: 2 } },
  // Retries get a quarter of the pool, at least the mapping's minimum of 2, so new requests keep most workers.
  retry: { consumer: 'broadcaster', maxConcurrency: (w) => Math.max(2, Math.ceil(w / 4)), local: { pollers: 1 } },
  responses: { consumer: 'updater', maxConcurrency: (w) => w, local: { pollers: 2 } },
  // Its messages come back about a block later (DelaySeconds): a few pollers keep up.
  tracking: { consumer: 'tracker', maxConcurrency: (w) => w, local: { pollers: 1 } },
  // Webhook deliveries: a retry comes back on this queue after its backoff (DelaySeconds).
  notifications: { consumer: 'notifier', maxConcurrency: (w) => w, local: { pollers: 1 } },
} as const satisfies Record<QueueName, QueueTopology>;

/**
 * What each function that builds the services does with each queue: `send` to it, `describe` it (the
 * api's health check), or only know its `url` (the services are built with every queue's URL). The
 * stack grants exactly this; the local runner, one process, needs no grants.
 */
export const queueAccess = {
  api: { requests: 'send', retry: 'describe', responses: 'describe', tracking: 'describe', notifications: 'describe' },
  broadcaster: { requests: 'url', retry: 'send', responses: 'send', tracking: 'url', notifications: 'url' },
  // The updater starts the tracking of each transaction the node took, and hands each change it applies on as an event.
  updater: { requests: 'url', retry: 'url', responses: 'url', tracking: 'send', notifications: 'send' },
  // The tracker reports to the responses queue, sends itself its next look, and asks the broadcaster
  // (requests) to re-price or cancel, or to sign a transaction that waited for the signer it saw free: it
  // never signs.
  tracker: { requests: 'send', retry: 'url', responses: 'send', tracking: 'send', notifications: 'url' },
  // The notifier sends a failed delivery back to its own queue, delayed, and after the last to the DLQ (`deadLetterAccess`).
  notifier: { requests: 'url', retry: 'url', responses: 'url', tracking: 'url', notifications: 'send' },
  // The sweep sends the operator's `signer.low_balance` event, and reads the responses queue's line with the
  // requests queue's (a transaction whose outcome waits there is not stale).
  sweep: { requests: 'send', retry: 'url', responses: 'describe', tracking: 'send', notifications: 'send' },
} as const satisfies Partial<Record<FunctionName, Record<QueueName, 'send' | 'describe' | 'url'>>>;

/** The DynamoDB actions a function may take on the table (and its indexes), as IAM names them without `dynamodb:`. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'DescribeTable';

const reads = ['GetItem', 'BatchGetItem', 'Query'] as const satisfies readonly TableAction[];

/**
 * What each function that builds the services does with the table: the stack grants exactly this, instead
 * of every data action to every function. The integration tests check it: each DynamoDB request a
 * function's services send is one its list names (test/support/tableAccessCheck.ts). No function scans,
 * and only the sweep deletes (its lease, its low-balance marks).
 */
export const tableAccess = {
  // Records requests and their idempotency keys, reads transactions and events, and its health check describes the table.
  api: [...reads, 'PutItem', 'UpdateItem', 'DescribeTable'],
  // Leases and signs transactions, takes nonces, records fillers.
  broadcaster: [...reads, 'PutItem', 'UpdateItem'],
  // Applies outcomes (updates only: the record exists); reads a record to hand its events on.
  updater: ['GetItem', 'UpdateItem'],
  // Reads what it follows and the signers' waiting lines, writes what it saw; it creates no record.
  tracker: [...reads, 'UpdateItem'],
  // Reads an event's transaction, records each delivery of the event.
  notifier: ['GetItem', 'PutItem', 'UpdateItem'],
  // Finds what is due and the nonce gaps; takes and lets go of its lease and its low-balance marks.
  sweep: [...reads, 'PutItem', 'UpdateItem', 'DeleteItem'],
} as const satisfies Record<keyof typeof queueAccess, readonly TableAction[]>;

/**
 * Who sends to a dead-letter queue itself, not through the redrive policy: the notifier, with a webhook
 * whose every delivery failed (a delivery that fails is retried by the notifier, so the redrive never sees it).
 */
export const deadLetterAccess = { notifier: ['notifications'] } as const satisfies Partial<
  Record<FunctionName, readonly QueueName[]>
>;

/**
 * How the local runner limits a consumer instead of a cap per mapping: one pool of `workers` slots per
 * function, which all its queues share.
 */
export const localPool = {
  size: (w: number) => w,
  why: 'the pool is the function’s concurrency; in one process a separate retry cap would only idle slots the requests need',
} as const;

/** The queues `fn` consumes, in the order of `queues`. */
export function queuesOf(fn: FunctionName): QueueName[] {
  return queueNames.filter((q) => queues[q].consumer === fn);
}

/**
 * A function's reserved concurrency on AWS, when the stack reserves any (`reserveConcurrency`; by default
 * it reserves none): a consumer's is the sum of its mappings' maximum concurrency (lower, the mappings are
 * throttled and messages bounce to the DLQ); else its fixed one, if any.
 */
export function reservedConcurrency(fn: FunctionName, workerCount: number): number | undefined {
  const consumed = queuesOf(fn);
  if (consumed.length > 0) return consumed.reduce((n, q) => n + queues[q].maxConcurrency(workerCount), 0);
  const entry: FunctionTopology = functions[fn];
  return entry.concurrency;
}

/** A queue hides a received message this many times its consumer's timeout (AWS's advice: at least 6). */
export const visibility = {
  factor: 6,
  local: {
    seconds: 30,
    why: 'no Lambda timeout ends a local invocation; a message a stopped runner held comes back in 30 s',
  },
} as const;

/** How long a queue hides a received message on AWS. */
export function visibilityTimeoutSeconds(queue: QueueName): number {
  return functions[queues[queue].consumer].timeoutSeconds * visibility.factor;
}

/**
 * How long one worker's claim to sign a transaction lasts (`SIGNING_LEASE_SECONDS`): as long as the
 * broadcaster may run, so a lease never outlives its worker.
 */
export const signingLease = {
  seconds: functions.broadcaster.timeoutSeconds,
  // The Lambda code imports nothing from infra/: the handlers' default is the local value, read from there.
  local: {
    seconds: localSigningLeaseSeconds,
    why: 'no Lambda timeout bounds a local worker; a runner stopped mid-signing has its claims back sooner',
  },
} as const;

/** How often the sweep runs; a run still waiting after one period is dropped, not queued behind the next. */
export const sweepSchedule = {
  everySeconds: 60,
  local: { everySeconds: 30, why: 'developers see a stale transaction re-enqueued sooner' },
} as const;

/** How long SQS keeps a message: a queue's as SQS does by default, a DLQ's as long as SQS allows. */
export const retention = {
  queueSeconds: 4 * 24 * 60 * 60,
  // Time to read a dead letter, fix the cause and redrive it.
  deadLetterSeconds: 14 * 24 * 60 * 60,
  /** A message is received this many times before it goes to the DLQ (the design asks at least 5). */
  maxReceiveCount: 5,
} as const;

/** The table's TTL attribute: idempotency records carry their expiry in it (epoch seconds). */
export const table = {
  ttlAttribute: 'expiresAt' satisfies keyof IdempotencyRecord,
  local: { ttl: false, why: 'dynalite has no TTL; the store also checks the expiry in code' },
} as const;

import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Signer } from '../functions/lib/chain/Signer.ts';
import type { ServiceHooks } from '../functions/lib/services/serviceHooks.ts';

/** Invocations of one function by the local event source mappings, and how long they took. */
export type Invocations = { count: number; records: number; totalMs: number };

/** What the system did between two snapshots, as counted inside the stack's process. */
export type Counts = {
  /** owner (function, or `local-runner` for the pollers) -> `Service.Operation` -> requests. */
  aws: Record<string, Record<string, number>>;
  /** owner -> JSON-RPC method -> requests. */
  rpc: Record<string, Record<string, number>>;
  signatures: number;
  /** DynamoDB write capacity units of the table itself (as the emulator reports them), by key prefix. */
  tableWriteUnits: Record<string, number>;
  /** DynamoDB writes (requests), by key prefix and operation: `tx.PutItem`, `tx.UpdateItem`, `nonce.UpdateItem`… */
  writesByPrefix: Record<string, number>;
  /** queue name -> messages sent, received, deleted. */
  messages: Record<string, { sent: number; received: number; deleted: number }>;
  /** Empty receives: the pollers asking an empty queue. */
  emptyReceives: number;
  /** The updater's writes of what the tracker saw (a receipt: mined, confirmed, reverted). */
  receiptWrites: number;
  /** Items asked for by BatchGetItem requests (each a read, priced as one GetItem). */
  batchGetKeys: number;
  invocations: Record<string, Invocations>;
  /** CPU time of the stack's process (every thread), and how busy its main thread's event loop was, 0-1. */
  cpuMs: number;
  mainThreadUtilization: number;
};

/**
 * A transaction the updater moved to `success`, into a block short of the chain's depth (`mined`), or to
 * its end at depth (`final`: confirmed or reverted), and when (epoch ms).
 */
export type Success = { id: string; at: number; status: 'success' | 'mined' | 'final' };

/** The hooks to install, and the counts they gather. */
export type Counters = {
  hooks: ServiceHooks;
  snapshot(): Counts;
  reset(): void;
};

type AnyRecord = Record<string, unknown>;

const isRecord = (v: unknown): v is AnyRecord => typeof v === 'object' && v !== null;

/** A DynamoDB value as the wire has it (`{S: 'x'}`) or as the document client returns it (`'x'`). */
function plain(value: unknown): unknown {
  if (isRecord(value)) return value.S ?? value.N;
  return value;
}

function empty(): Counts {
  return {
    aws: {},
    rpc: {},
    signatures: 0,
    tableWriteUnits: {},
    writesByPrefix: {},
    messages: {},
    emptyReceives: 0,
    receiptWrites: 0,
    batchGetKeys: 0,
    invocations: {},
    cpuMs: 0,
    mainThreadUtilization: 0,
  };
}

const bump = (into: Record<string, number>, key: string, by = 1) => {
  into[key] = (into[key] ?? 0) + by;
};

/** The counts of one owner, created on first use. */
function ofOwner(all: Record<string, Record<string, number>>, owner: string): Record<string, number> {
  all[owner] ??= {};
  return all[owner];
}

/**
 * Counters for the stack's hooks: every AWS request by owner and operation (a middleware on each SDK
 * client, below the retry middleware, so a retried request counts each time it is sent), every
 * JSON-RPC request by method, every signature, the messages of each queue, and the invocations the
 * pollers make. `queueName` turns a queue URL into its short name; `onSuccess` hears each transaction
 * the updater moves to `success`.
 */
export function createCounters(queueName: (url: string) => string, onSuccess: (s: Success) => void): Counters {
  let counts = empty();
  let cpuAtReset = process.cpuUsage();
  let loopAtReset = performance.eventLoopUtilization();
  // Receipt handle -> when its batch was received, to time the invocation that deletes it.
  const receivedAt = new Map<string, { at: number; queue: string; size: number }>();

  const queue = (name: string) => {
    counts.messages[name] ??= { sent: 0, received: 0, deleted: 0 };
    return counts.messages[name];
  };

  function observe(owner: string, operation: string, input: AnyRecord, output: AnyRecord | undefined) {
    const queueUrl = typeof input.QueueUrl === 'string' ? queueName(input.QueueUrl) : undefined;
    if (operation === 'SQS.SendMessage' && queueUrl) queue(queueUrl).sent++;
    if (operation === 'SQS.SendMessageBatch' && queueUrl && Array.isArray(input.Entries)) {
      const failed = Array.isArray(output?.Failed) ? output.Failed.length : 0;
      queue(queueUrl).sent += input.Entries.length - failed;
    }
    if (operation === 'SQS.ReceiveMessage' && queueUrl && output) {
      const messages = Array.isArray(output.Messages) ? output.Messages : [];
      if (messages.length === 0) counts.emptyReceives++;
      queue(queueUrl).received += messages.length;
      if (owner === 'local-runner' && messages.length > 0) {
        const batch = { at: performance.now(), queue: queueUrl, size: messages.length };
        for (const m of messages)
          if (isRecord(m) && typeof m.ReceiptHandle === 'string') receivedAt.set(m.ReceiptHandle, batch);
      }
    }
    if (operation === 'SQS.DeleteMessageBatch' && queueUrl && Array.isArray(input.Entries)) {
      queue(queueUrl).deleted += input.Entries.length;
      const first = input.Entries[0];
      const batch =
        isRecord(first) && typeof first.ReceiptHandle === 'string' ? receivedAt.get(first.ReceiptHandle) : undefined;
      if (owner === 'local-runner' && batch) {
        const fn = batch.queue === 'responses' ? 'updater' : batch.queue === 'tracking' ? 'tracker' : 'broadcaster';
        counts.invocations[fn] ??= { count: 0, records: 0, totalMs: 0 };
        const inv = counts.invocations[fn];
        inv.count++;
        inv.records += batch.size;
        inv.totalMs += performance.now() - batch.at;
      }
      for (const e of input.Entries)
        if (isRecord(e) && typeof e.ReceiptHandle === 'string') receivedAt.delete(e.ReceiptHandle);
    }
    if (operation === 'DynamoDB.BatchGetItem' && isRecord(input.RequestItems)) {
      for (const asked of Object.values(input.RequestItems))
        if (isRecord(asked) && Array.isArray(asked.Keys)) counts.batchGetKeys += asked.Keys.length;
    }
    if (operation.startsWith('DynamoDB.') && /PutItem|UpdateItem|DeleteItem/.test(operation)) {
      const key = isRecord(input.Key) ? input.Key : isRecord(input.Item) ? input.Item : {};
      const prefix = String(plain(key.pk) ?? '').split('#')[0] ?? '';
      bump(counts.writesByPrefix, `${prefix}.${operation.slice('DynamoDB.'.length)}`);
      const consumed = isRecord(output?.ConsumedCapacity) ? Number(output.ConsumedCapacity.CapacityUnits ?? 0) : 0;
      bump(counts.tableWriteUnits, prefix, consumed);
    }
    if (owner === 'updater' && operation === 'DynamoDB.UpdateItem' && isRecord(output?.Attributes)) {
      const attributes = output.Attributes;
      if (plain(attributes.status) === 'success') {
        onSuccess({ id: String(plain(attributes.id)), at: Date.now(), status: 'success' });
      }
    }
    if (owner === 'updater' && operation === 'DynamoDB.UpdateItem' && output && isRecord(input.Key)) {
      // The tracker's report at depth, applied (a write whose condition failed throws, and is not observed here).
      const values = isRecord(input.ExpressionAttributeValues) ? input.ExpressionAttributeValues : {};
      const to = plain(values[':status']);
      const expression = String(input.UpdateExpression ?? '');
      if (expression.includes('receipt = :receipt')) counts.receiptWrites++;
      const id = String(plain(input.Key.pk)).slice('tx#'.length);
      if (to === 'confirmed' || to === 'reverted') onSuccess({ id, at: Date.now(), status: 'final' });
      // In a block short of depth: written with its own placeholder, not `:status`.
      if (expression.includes('#status = :mined')) onSuccess({ id, at: Date.now(), status: 'mined' });
    }
  }

  function instrument(client: DynamoDBClient | SQSClient, owner: string) {
    const service = client instanceof DynamoDBClient ? 'DynamoDB' : 'SQS';
    // The two clients' stacks differ only in their command types, which a counter does not look at.
    const stack = client.middlewareStack as unknown as {
      add(
        mw: (
          next: (args: { input: AnyRecord }) => Promise<{ output?: unknown }>,
          context: { commandName?: string },
        ) => (args: { input: AnyRecord }) => Promise<{ output?: unknown }>,
        options: { step: string; name: string; priority?: string },
      ): void;
    };
    if (service === 'DynamoDB') {
      // Ask for the capacity each write consumes: it only adds a field to the answer.
      stack.add(
        (next, context) => (args) => {
          if (/^(Put|Update|Delete)ItemCommand$/.test(context.commandName ?? '')) {
            args.input.ReturnConsumedCapacity ??= 'TOTAL';
          }
          return next(args);
        },
        { step: 'initialize', name: 'benchConsumedCapacity' },
      );
    }
    stack.add(
      (next, context) => async (args) => {
        const operation = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        bump(ofOwner(counts.aws, owner), operation);
        const result = await next(args);
        observe(owner, operation, args.input, isRecord(result.output) ? result.output : undefined);
        return result;
      },
      // Below the retry middleware, above the deserializer: each request sent, with its parsed answer.
      { step: 'deserialize', name: 'benchCounter', priority: 'high' },
    );
  }

  const hooks: ServiceHooks = {
    awsClient: instrument,
    rpcRequest(_chainId, method, owner) {
      bump(ofOwner(counts.rpc, owner), method);
    },
    signer(signer: Signer): Signer {
      return {
        address: signer.address,
        signTransaction: (...args: Parameters<Signer['signTransaction']>) => {
          counts.signatures++;
          return signer.signTransaction(...args);
        },
      };
    },
  };

  return {
    hooks,
    snapshot() {
      const cpu = process.cpuUsage(cpuAtReset);
      return {
        ...structuredClone(counts),
        cpuMs: (cpu.user + cpu.system) / 1000,
        mainThreadUtilization: performance.eventLoopUtilization(loopAtReset).utilization,
      };
    },
    reset() {
      counts = empty();
      cpuAtReset = process.cpuUsage();
      loopAtReset = performance.eventLoopUtilization();
    },
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type HandlerOf, loadHandler } from '../../infra/handlers.ts';
import { deliver } from './deliver.ts';
import type { TestStack } from './startTestStack.ts';
import { tokenEnv } from './tokens.ts';

export type Handlers = {
  api: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  broadcaster: HandlerOf<'broadcaster'>;
  updater: HandlerOf<'updater'>;
  tracker: HandlerOf<'tracker'>;
  notifier: HandlerOf<'notifier'>;
  sweep: HandlerOf<'sweep'>;
};

/**
 * Gives the handler modules the environment Lambda would (the stack's, which allows the local
 * signer; test tokens; no wait in `POST`; then `env`), and imports them through the handler registry
 * (infra/handlers.ts): their cold start reads it once.
 * Call once per test file; vitest gives each file its own modules.
 */
export async function loadHandlers(stack: TestStack, env: Record<string, string> = {}): Promise<Handlers> {
  Object.assign(process.env, stack.env, {
    BROADCAST_WAIT_MS: '0',
    ...tokenEnv,
    ...env,
  });
  const api = await loadHandler('api');
  return {
    api: (event) => api(event, {} as Context) as Promise<APIGatewayProxyStructuredResultV2>,
    broadcaster: await loadHandler('broadcaster'),
    updater: await loadHandler('updater'),
    tracker: await loadHandler('tracker'),
    notifier: await loadHandler('notifier'),
    sweep: await loadHandler('sweep'),
  };
}

/** Runs the broadcaster and the updater over their queues until none has a visible message. */
export async function pump(stack: TestStack, handlers: Pick<Handlers, 'broadcaster' | 'updater'>): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const a = await deliver(stack.sqs, stack.queues.requests, handlers.broadcaster);
    const b = await deliver(stack.sqs, stack.queues.retry, handlers.broadcaster);
    const c = await deliver(stack.sqs, stack.queues.responses, handlers.updater);
    if (a.bodies.length + b.bodies.length + c.bodies.length === 0) return;
  }
}

/** How long `driveUntil` goes on, and how long it sleeps when no queue has a visible message. */
export type DriveOptions = { timeoutMs?: number; pollMs?: number; what?: string };

/**
 * Runs the broadcaster, the updater and the tracker over their queues (requests, retry, responses,
 * tracking, and notifications when given the notifier) until `done` holds; throws, naming `what`, if it does not within `timeoutMs`. The
 * tracker's messages come back after their DelaySeconds, so a round that found nothing sleeps
 * `pollMs` before the next. Unlike `pump`, it follows transactions past `success`.
 */
export async function driveUntil(
  stack: TestStack,
  handlers: Pick<Handlers, 'broadcaster' | 'updater' | 'tracker'> & Partial<Pick<Handlers, 'notifier'>>,
  done: () => Promise<boolean> | boolean,
  { timeoutMs = 20_000, pollMs = 100, what = 'the condition' }: DriveOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    if (Date.now() > deadline) {
      throw new Error(`${what} did not hold within ${timeoutMs} ms; what stood then: ${await standing(stack)}`);
    }
    const delivered = [
      await deliver(stack.sqs, stack.queues.requests, handlers.broadcaster),
      await deliver(stack.sqs, stack.queues.retry, handlers.broadcaster),
      await deliver(stack.sqs, stack.queues.responses, handlers.updater),
      await deliver(stack.sqs, stack.queues.tracking, handlers.tracker),
      ...(handlers.notifier ? [await deliver(stack.sqs, stack.queues.notifications, handlers.notifier)] : []),
    ];
    if (delivered.every((d) => d.bodies.length === 0)) await sleep(pollMs);
  }
}

/**
 * What the stack held when a wait ran out, for its failure message: each transaction's status, nonce,
 * attempts and hash; each queue's visible, in-flight and delayed messages; the chain's head and its pool.
 */
async function standing(stack: TestStack): Promise<string> {
  const guard = <T>(read: Promise<T>) => read.catch((e: unknown) => `unread: ${String(e)}`);
  const rows = async () => {
    const found: unknown[] = [];
    // The whole table (a test's is small): the indexes hold keys only.
    for await (const page of paginateScan({ client: stack.doc }, { TableName: stack.tableName })) {
      for (const i of page.Items ?? []) {
        if (i.kind === 'tx') found.push([i.id, i.status, i.nonce, i.attempts, i.txHash]);
      }
    }
    return found;
  };
  const counted = {
    visible: 'ApproximateNumberOfMessages',
    'in flight': 'ApproximateNumberOfMessagesNotVisible',
    delayed: 'ApproximateNumberOfMessagesDelayed',
  } as const;
  const queues = async () =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(stack.queues).map(async ([name, QueueUrl]) => {
          const { Attributes = {} } = await stack.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl, AttributeNames: Object.values(counted) }),
          );
          const each = Object.entries(counted).map(([label, attribute]) => `${Attributes[attribute] ?? 0} ${label}`);
          return [name, each.join(', ')];
        }),
      ),
    );
  const [transactions, messages, head, pool] = await Promise.all([
    guard(rows()),
    guard(queues()),
    guard(stack.chain.getBlockNumber().then(String)),
    guard(stack.chain.request({ method: 'txpool_inspect' } as never)),
  ]);
  return JSON.stringify({ transactions, messages, head, pool });
}

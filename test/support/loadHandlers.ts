import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type HandlerOf, loadHandler } from '../../infra/handlers.ts';
import { deliver } from './deliver.ts';
import type { TestStack } from './startTestStack.ts';
import { tokenEnv } from './tokens.ts';

export type Handlers = {
  api: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  broadcaster: HandlerOf<'broadcaster'>;
  updater: HandlerOf<'updater'>;
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

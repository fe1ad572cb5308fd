import { expect } from 'vitest';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { apiEvent } from './apiEvent.ts';
import { audit, expectOneEffectEach } from './audit.ts';
import type { Handlers } from './loadHandlers.ts';
import type { TestStack } from './startTestStack.ts';

// What the lifecycle's cases on a real chain share: posting and reading through the api handler,
// stopping and starting the chain's blocks, and the whole chain read back at the end of each case.

/** The broadcaster's signer: the first anvil dev account (the local signer's default key). */
export const devSigner = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
/** A recipient the cases send to: the second anvil dev account. */
export const devRecipient = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** Posts a transaction (BROADCAST_WAIT_MS is 0 in tests: accepted, 202) and returns its id. */
export async function postAccepted(handlers: Pick<Handlers, 'api'>, body: Record<string, string>): Promise<string> {
  const res = await handlers.api(apiEvent('POST', '/transactions', body));
  expect(res.statusCode, res.body).toBe(202);
  return JSON.parse(res.body ?? '{}').id;
}

/** Reads a transaction as its client sees it. */
export async function viewOf(handlers: Pick<Handlers, 'api'>, id: string): Promise<TransactionView> {
  const res = await handlers.api(apiEvent('GET', `/transactions/${id}`));
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body ?? '{}');
}

/** A status nothing moves any more. */
export const isFinal = (tx: TransactionView) => ['confirmed', 'reverted', 'failed'].includes(tx.status);

/** No blocks at all until `resumeMining`: automine off and the one-second interval stopped. */
export async function pauseMining(stack: TestStack) {
  await stack.testClient.setAutomine(false);
  await stack.testClient.setIntervalMining({ interval: 0 });
}

/** One block a second again. */
export async function resumeMining(stack: TestStack) {
  await stack.testClient.setIntervalMining({ interval: 1 });
}

/** Every case ends here: the whole chain read back against the table, one on-chain effect per id (`some`: and something on it). */
export async function expectOneEffectPerId(stack: TestStack, { some = false } = {}) {
  const endpoints = {
    dynamodb: String(stack.env.AWS_ENDPOINT_URL_DYNAMODB),
    sqs: String(stack.env.AWS_ENDPOINT_URL_SQS),
  };
  const a = await audit({ endpoints, tableName: stack.tableName, signer: devSigner }, stack.anvil.url);
  if (some) expect(a.chainTxs.length).toBeGreaterThan(0);
  expectOneEffectEach(a);
}

/**
 * The cases' helpers bound to a file's stack and handlers, read when each is called (`get`: the file's
 * own variables, set in its beforeAll).
 */
export function boundCases(get: () => { stack: TestStack; handlers: Handlers }) {
  return {
    post: (body: Record<string, string>) => postAccepted(get().handlers, body),
    view: (id: string) => viewOf(get().handlers, id),
    pauseMining: () => pauseMining(get().stack),
    resumeMining: () => resumeMining(get().stack),
    expectOneEffectPerId: (options?: { some?: boolean }) => expectOneEffectPerId(get().stack, options),
  };
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { WaitingLine } from '../store/WaitingLine.ts';
import type { BroadcastMessage } from '../transactions/messages.ts';

export type WakeDeps = { waiting: WaitingLine; requests: QueueSender<BroadcastMessage>; logger: Logger };

/** How many of a chain's oldest waiters one wake reads: enough to pass those another wake took first. */
const lookAhead = 5;

/**
 * A signer on `chainId` has room again (one of its transactions was mined): sends up to `count` of the
 * chain's oldest waiting transactions to the broadcaster, each taken out of the line by exactly one
 * waker, as the attempt it waited in. One that still finds no room waits again. Returns how many it sent.
 */
export async function wakeWaiting(deps: WakeDeps, chainId: number, count = 1): Promise<number> {
  let sent = 0;
  const waiters = await deps.waiting.oldest(chainId, count + lookAhead);
  for (const waiter of waiters) {
    if (sent >= count) break;
    if (!(await deps.waiting.take(waiter.id))) continue;
    // Lost after this take, the sweep finds it due: parking moved its due time no further than the stale period.
    await deps.requests.send({ id: waiter.id, attempt: waiter.attempts + 1, phase: 'broadcast' });
    deps.logger.info('a signer has room: woke a waiting transaction', { transactionId: waiter.id, chainId });
    sent++;
  }
  return sent;
}

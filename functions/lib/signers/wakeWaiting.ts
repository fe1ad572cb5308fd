import type { Logger } from '@aws-lambda-powertools/logger';
import { type Hex, isAddressEqual } from 'viem';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { WaitingLine } from '../store/WaitingLine.ts';
import type { BroadcastMessage } from '../transactions/messages.ts';

export type WakeDeps = { waiting: WaitingLine; requests: QueueSender<BroadcastMessage>; logger: Logger };

/**
 * How far down the line one wake reads: past the waiters other wakes took first (a block that mines many
 * of the pool's transactions wakes as many at once) and those bound to another signer. Past it, the
 * sweep re-enqueues what waits.
 */
const mostRead = 200;

/**
 * `from` on `chainId` has room for one more (one of its nonces was used): sends the oldest waiting
 * transaction it can sign to the broadcaster, taken out of the line by exactly one waker, as the attempt
 * it waited in. A waiter that named another signer is left for that signer's wake. One that still finds
 * no room waits again, in its place. Returns how many it sent (0 or `count`).
 */
export async function wakeWaiting(
  deps: WakeDeps,
  chainId: number,
  from: string | undefined,
  count = 1,
): Promise<number> {
  let sent = 0;
  let read = 0;
  for await (const waiter of deps.waiting.line(chainId)) {
    if (sent >= count || ++read > mostRead) break;
    if (waiter.from !== undefined && from !== undefined && !isAddressEqual(waiter.from as Hex, from as Hex)) continue;
    if (!(await deps.waiting.take(waiter.id))) continue;
    // Lost after this take, the sweep finds it due: parking moved its due time no further than the stale period.
    await deps.requests.send({ id: waiter.id, attempt: waiter.attempts + 1, phase: 'broadcast' });
    deps.logger.info('a signer has room: woke a waiting transaction', { transactionId: waiter.id, chainId, from });
    sent++;
  }
  return sent;
}

import type { Logger } from '@aws-lambda-powertools/logger';
import { type Hex, isAddressEqual } from 'viem';
import type { QueueSender } from '../queue/createQueueSender.ts';
import { type LineMarker, mayHaveWaiters, type WaitingLine } from '../store/WaitingLine.ts';
import type { BroadcastMessage } from '../transactions/messages.ts';

export type WakeDeps = {
  waiting: WaitingLine;
  requests: QueueSender<BroadcastMessage>;
  logger: Logger;
  now?: () => Date;
};

/**
 * How long after the last park a wake that finds the line empty still does not mark it drained: a parked row
 * reaches the `waiting` index a moment after its write (DynamoDB's indexes are eventually consistent), so a
 * read just after a park may miss it.
 */
export const settleMs = 5000;

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
 *
 * `line` is the chain's marker as read with the record: when nobody has parked since the line was last
 * found empty, the line is not read at all. A wake that reads the whole line and finds nobody marks it
 * drained, once the last park has settled. A park the marker missed (its count written after this
 * read) re-reads the signers after parking and takes itself out when there is room (`waitForSigner`); the
 * sweep is the net under both.
 */
export async function wakeWaiting(
  deps: WakeDeps,
  chainId: number,
  from: string | undefined,
  line: LineMarker | 'unread' | undefined,
  count = 1,
): Promise<number> {
  if (line !== 'unread' && !mayHaveWaiters(line)) return 0;
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
  const now = (deps.now ?? (() => new Date()))().getTime();
  if (read === 0 && line !== 'unread' && (line?.parkedAt === undefined || now - line.parkedAt >= settleMs)) {
    await deps.waiting.markDrained(chainId, line?.parked ?? 0);
  }
  return sent;
}

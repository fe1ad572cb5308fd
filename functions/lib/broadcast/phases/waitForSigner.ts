import { SigningInProgressError } from '../../errors/errors.ts';
import { dueForSweepAt } from '../../transactions/dueForSweepAt.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps } from '../BroadcastDeps.ts';
import { hasRoom } from './assignSigner.ts';

/**
 * No signer can take the transaction now: it waits in its chain's line, `pending`, with the reason as
 * its message, and the claim goes: no worker is held while it waits. A signer whose transaction is
 * mined wakes the oldest waiter (the updater); the sweep is the net under a wake that never came.
 * A signer may have freed between the read that said "full" and the park, its wake finding the line
 * still empty: so the states are read once more after parking, and one that finds room takes itself
 * out of the line and goes to the retry queue at once. The park is counted on the chain's line marker,
 * which tells a wake whether the line may hold anyone (`wakeWaiting`).
 */
export async function waitForSigner(
  deps: BroadcastDeps,
  tx: Transaction,
  token: string,
  attempt: number,
  wait: { waiting: string; from?: string },
): Promise<void> {
  const now = deps.now();
  const dueAt = dueForSweepAt(now.getTime(), deps.settings.staleAfterMs);
  const place = { chainId: tx.chainId, reason: wait.waiting, since: tx.waiting?.since };
  if (!(await deps.transactions.park(tx.id, token, place, now, dueAt))) {
    throw new SigningInProgressError(tx.id);
  }
  // After the row: a wake that reads this count finds the row parked. If the count is not written, the
  // look once more below still runs; one still parked then fails the message, which is delivered again
  // and counts its park again (the sweep is the net under that too).
  const countFailure = await deps.waiting.markParked(tx.chainId).then(
    () => undefined,
    (error: unknown) => error,
  );
  deps.logger.info('waiting for a signer with room', { reason: wait.waiting });
  const states = await deps.signerStates.readAfterNow(tx.chainId).catch(() => undefined);
  const left = states !== undefined && hasRoom(states, wait.from) && (await deps.waiting.take(tx.id));
  if (left) await deps.retryQueue.send({ id: tx.id, attempt, phase: 'broadcast' });
  else if (countFailure !== undefined) throw countFailure;
}

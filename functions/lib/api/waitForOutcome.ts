import { setTimeout as sleep } from 'node:timers/promises';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { isBroadcast, isTerminal, type Transaction } from '../transactions/model.ts';

/** The node took it (success or later), or it ended. */
const broadcastOrEnded = (tx: Transaction) => isTerminal(tx.status) || isBroadcast(tx.status);

/**
 * Re-reads a transaction until `done` (by default: the node took it, success or later, or it failed),
 * or `waitMs` has passed; returns the last state seen.
 */
export async function waitForOutcome(
  transactions: Pick<TransactionReads, 'get'>,
  tx: Transaction,
  waitMs: number,
  done: (tx: Transaction) => boolean = broadcastOrEnded,
): Promise<Transaction> {
  const deadline = Date.now() + waitMs;
  let current = tx;
  let pause = 25;
  while (!done(current) && Date.now() + pause < deadline) {
    await sleep(pause);
    pause = Math.min(pause * 2, 250);
    current = (await transactions.get(tx.id)) ?? current;
  }
  return current;
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { TransactionReads } from '../store/TransactionReads.ts';
import { isBroadcast, isTerminal, type Transaction } from '../transactions/model.ts';

/** Re-reads a transaction until the node took it (success or later) or it failed, or `waitMs` has passed; returns the last state seen. */
export async function waitForOutcome(
  transactions: Pick<TransactionReads, 'get'>,
  tx: Transaction,
  waitMs: number,
): Promise<Transaction> {
  const deadline = Date.now() + waitMs;
  let current = tx;
  let pause = 25;
  while (!isTerminal(current.status) && !isBroadcast(current.status) && Date.now() + pause < deadline) {
    await sleep(pause);
    pause = Math.min(pause * 2, 250);
    current = (await transactions.get(tx.id)) ?? current;
  }
  return current;
}

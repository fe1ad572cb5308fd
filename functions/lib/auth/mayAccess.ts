import type { Transaction } from '../transactions/model.ts';
import type { Caller } from './Caller.ts';

/** An admin reads (and cancels) every transaction; a client only those it submitted. Anyone else's is a 404. */
export function mayAccess(caller: Caller, tx: Pick<Transaction, 'client'>): boolean {
  return caller.role === 'admin' || tx.client === caller.client;
}

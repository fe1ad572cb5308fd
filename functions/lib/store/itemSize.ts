import type { Transaction } from '../transactions/model.ts';

/** DynamoDB's largest item is 400 KB; a replacement is refused well short of it (names and overhead). */
const roomyItemBytes = 350_000;

/**
 * True when the record can hold one more signature of `kind`: a replacement keeps the bytes it replaces
 * in their `hashes` entry, so a re-price grows the item by about the size of `rawTx`; a cancel, whose
 * own bytes are small, hardly at all. A call with large data can be re-priced only a few times; past
 * that it waits as it is (flagged stuck) rather than fail to store.
 */
export function roomForAnotherSignature(tx: Transaction, kind: 'reprice' | 'cancel'): boolean {
  const now = JSON.stringify(tx).length;
  // A re-price's bytes are as large as the latest's; a cancel's (a plain transfer) take their place small.
  const growth = kind === 'cancel' ? 0 : (tx.rawTx?.length ?? 0);
  return now + growth + 1000 < roomyItemBytes;
}

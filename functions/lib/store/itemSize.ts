import type { Transaction } from '../transactions/model.ts';

/** DynamoDB's largest item is 400 KB; a replacement is refused well short of it (names and overhead). */
const roomyItemBytes = 350_000;

/**
 * True when the record can hold one more signature: a replacement keeps the bytes it replaces in their
 * `hashes` entry, so the item grows by about the size of `rawTx` each time. A call with large data can
 * be replaced only a few times; past that it waits as it is (flagged stuck) rather than fail to store.
 */
export function roomForAnotherSignature(tx: Transaction): boolean {
  const now = JSON.stringify(tx).length;
  return now + (tx.rawTx?.length ?? 0) + 1000 < roomyItemBytes;
}

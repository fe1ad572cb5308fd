import type { SignerRow } from '../../functions/lib/transactions/listing.ts';

const wholeWei = /^\d+$/;

/**
 * How much wei a signer lacks to pay for what its open transactions may still spend (`openSpend` minus
 * `balance`, when above zero), or undefined when it lacks nothing or either amount is unknown. The
 * amounts come from the API as decimal strings; one that is not (`BigInt` would take `''` as 0) counts
 * as unknown.
 */
export function balanceShortfall(row: Pick<SignerRow, 'balance' | 'openSpend'>): bigint | undefined {
  const { balance, openSpend } = row;
  if (balance === null || openSpend === null || !wholeWei.test(balance) || !wholeWei.test(openSpend)) return undefined;
  const lacking = BigInt(openSpend) - BigInt(balance);
  return lacking > 0n ? lacking : undefined;
}

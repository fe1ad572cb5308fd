/**
 * The least gas any EVM transaction with this call data can carry (EIP-2028): 21000, plus 16 for
 * each non-zero byte of data and 4 for each zero byte. Below it every node refuses the transaction.
 */
export function intrinsicGas(data: string): bigint {
  let gas = 21_000n;
  for (let i = 2; i + 1 < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4n : 16n;
  return gas;
}

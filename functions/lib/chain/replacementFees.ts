import type { Fees } from './createFeeCache.ts';

/** What a replacement for the same nonce may offer: fees to sign with, or why none can replace the latest. */
export type Replacement =
  | { replaceable: true; fees: Fees; capped: boolean }
  | { replaceable: false; reason: string; needed: Fees };

/** A replacement's bump over the fees it replaces: 12.5% (geth asks 10%, and some pools more), rounded up. */
const bumped = (fee: bigint) => (fee * 1125n + 999n) / 1000n;
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const gwei = (wei: bigint) => `${Number(wei) / 1e9} gwei`;

/**
 * The fees for a replacement of a signature signed with `old`: each at least 12.5% over the old one and
 * at least the market's, the max fee no higher than `capWei`. When the cap leaves no room for the bump a
 * pool needs to take a replacement, none is signed: the latest stays, re-sent, and the caller flags it.
 */
export function replacementFees(old: Fees, market: Fees, capWei: bigint): Replacement {
  const needed = {
    maxFeePerGas: max(bumped(old.maxFeePerGas), market.maxFeePerGas),
    maxPriorityFeePerGas: max(bumped(old.maxPriorityFeePerGas), market.maxPriorityFeePerGas),
  };
  if (needed.maxPriorityFeePerGas > needed.maxFeePerGas) needed.maxFeePerGas = needed.maxPriorityFeePerGas;
  const maxFeePerGas = min(needed.maxFeePerGas, capWei);
  const maxPriorityFeePerGas = min(needed.maxPriorityFeePerGas, maxFeePerGas);
  if (maxFeePerGas < bumped(old.maxFeePerGas) || maxPriorityFeePerGas < bumped(old.maxPriorityFeePerGas)) {
    return {
      replaceable: false,
      needed,
      reason: `a replacement needs a max fee of ${gwei(needed.maxFeePerGas)}, above the fee cap of ${gwei(capWei)}`,
    };
  }
  return {
    replaceable: true,
    fees: { maxFeePerGas, maxPriorityFeePerGas },
    capped: maxFeePerGas < needed.maxFeePerGas,
  };
}

/** True when the market asks more than `fees` in either fee: what a signature stuck under it needs outbid. */
export function marketAbove(market: Fees, fees: Fees): boolean {
  return market.maxFeePerGas > fees.maxFeePerGas || market.maxPriorityFeePerGas > fees.maxPriorityFeePerGas;
}

/** The fee cap of a chain in wei, from FEE_CAP_GWEI's whole gwei. */
export const gweiToWei = (gweiValue: number) => BigInt(gweiValue) * 1_000_000_000n;

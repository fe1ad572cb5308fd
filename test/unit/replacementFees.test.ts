import { describe, expect, it } from 'vitest';
import { gweiToWei, replacementFees } from '../../functions/lib/chain/replacementFees.ts';

const gwei = (n: number) => BigInt(Math.round(n * 1e9));
/** ceil(fee × 1.125), written out independently of the code under test. */
const bumpOf = (fee: bigint) => {
  const scaled = fee * 1125n;
  return scaled % 1000n === 0n ? scaled / 1000n : scaled / 1000n + 1n;
};
const fees = (maxFeePerGas: bigint, maxPriorityFeePerGas: bigint) => ({ maxFeePerGas, maxPriorityFeePerGas });

describe('replacementFees: the bump over the fees it replaces', () => {
  it('with the market below them, offers each old fee plus 12.5%, rounded up to the wei', () => {
    // 1_000_000_001 × 1.125 = 1_125_000_001.125 → 1_125_000_002; 600_000_003 × 1.125 = 675_000_003.375 → 675_000_004
    const old = fees(1_000_000_001n, 600_000_003n);
    const result = replacementFees(old, fees(1n, 1n), gwei(100));
    expect(result).toEqual({ replaceable: true, fees: fees(1_125_000_002n, 675_000_004n), capped: false });
  });

  it('with the market above the bump, offers the market fees', () => {
    const result = replacementFees(fees(gwei(2), gwei(1)), fees(gwei(7), gwei(3)), gwei(100));
    expect(result).toEqual({ replaceable: true, fees: fees(gwei(7), gwei(3)), capped: false });
  });

  it('takes, fee by fee, the higher of the bump and the market', () => {
    // The market max fee is above the bump (2.25 gwei); its tip (0.5 gwei) is below the bump (1.125 gwei).
    const result = replacementFees(fees(gwei(2), gwei(1)), fees(gwei(3), gwei(0.5)), gwei(100));
    expect(result).toEqual({ replaceable: true, fees: fees(gwei(3), gwei(1.125)), capped: false });
  });

  it('never offers a tip above the max fee: a market tip above the max fee raises the max fee to it', () => {
    const result = replacementFees(fees(gwei(2), gwei(1)), fees(gwei(1), gwei(5)), gwei(100));
    expect(result).toEqual({ replaceable: true, fees: fees(gwei(5), gwei(5)), capped: false });
  });

  it('keeps every invariant over a grid of old fees, markets and caps', () => {
    const values = [1n, 999n, gwei(1), gwei(2.5), gwei(40), gwei(99), gwei(150)];
    for (const oldMax of values)
      for (const oldTip of values.filter((v) => v <= oldMax))
        for (const marketMax of values)
          for (const marketTip of values)
            for (const cap of [gwei(1), gwei(100), gwei(1000)]) {
              const old = fees(oldMax, oldTip);
              const result = replacementFees(old, fees(marketMax, marketTip), cap);
              // Refused exactly when the cap is below what the bump needs.
              expect(result.replaceable).toBe(cap >= bumpOf(oldMax) && cap >= bumpOf(oldTip));
              if (!result.replaceable) continue;
              const { maxFeePerGas, maxPriorityFeePerGas } = result.fees;
              expect(maxFeePerGas).toBeGreaterThanOrEqual(bumpOf(oldMax));
              expect(maxPriorityFeePerGas).toBeGreaterThanOrEqual(bumpOf(oldTip));
              expect(maxPriorityFeePerGas).toBeLessThanOrEqual(maxFeePerGas);
              expect(maxFeePerGas).toBeLessThanOrEqual(cap);
              if (!result.capped) {
                expect(maxFeePerGas).toBeGreaterThanOrEqual(marketMax);
                expect(maxPriorityFeePerGas).toBeGreaterThanOrEqual(marketTip);
              }
            }
  });
});

describe('replacementFees: the fee cap', () => {
  it('with no room left under the cap for the 12.5% bump, is not replaceable and names the gwei values', () => {
    // The latest signature is at the cap already: the bump needs 112.5 gwei, the market 500 gwei.
    const result = replacementFees(fees(gwei(100), gwei(2)), fees(gwei(500), gwei(2)), gwei(100));
    expect(result).toEqual({
      replaceable: false,
      needed: fees(gwei(500), gwei(2.25)),
      reason: expect.stringContaining('500 gwei'),
    });
    expect(result.replaceable === false && result.reason).toMatch(/500 gwei.*fee cap of 100 gwei/);
  });

  it('names the bump it needs when the market is below it', () => {
    const result = replacementFees(fees(gwei(100), gwei(2)), fees(gwei(1), gwei(1)), gwei(110));
    expect(result).toMatchObject({ replaceable: false, needed: fees(gwei(112.5), gwei(2.25)) });
    expect(result.replaceable === false && result.reason).toMatch(/112\.5 gwei.*fee cap of 110 gwei/);
  });

  it('a cap exactly at the bump still replaces; one wei below it does not', () => {
    const old = fees(gwei(80), gwei(1));
    expect(replacementFees(old, fees(1n, 1n), gwei(90))).toEqual({
      replaceable: true,
      fees: fees(gwei(90), gwei(1.125)),
      capped: false,
    });
    expect(replacementFees(old, fees(1n, 1n), gwei(90) - 1n)).toMatchObject({ replaceable: false });
  });

  it('clamping the market to the cap, while the bump still fits, replaces at the cap with capped', () => {
    const result = replacementFees(fees(gwei(2), gwei(1)), fees(gwei(500), gwei(3)), gwei(100));
    expect(result).toEqual({ replaceable: true, fees: fees(gwei(100), gwei(3)), capped: true });
  });

  it('clamping a market tip above the cap keeps the tip at the capped max fee', () => {
    const result = replacementFees(fees(gwei(10), gwei(1)), fees(gwei(500), gwei(200)), gwei(100));
    expect(result).toEqual({ replaceable: true, fees: fees(gwei(100), gwei(100)), capped: true });
  });

  it('gweiToWei turns whole gwei into wei', () => {
    expect(gweiToWei(100)).toBe(100_000_000_000n);
    expect(gweiToWei(1)).toBe(1_000_000_000n);
  });
});

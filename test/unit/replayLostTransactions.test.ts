import { type Hex, keccak256 } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import type { NonceHolder } from '../../functions/lib/store/NonceStore.ts';
import { replayLostTransactions } from '../../infra/local/replayLostTransactions.ts';

// What the runner sends again when its chain came back from a kill short of the table
// (infra/local/replayLostTransactions.ts): per nonce the bytes of the signature the chain had mined there
// (a re-price or a cancel included), in nonce order; never a signature it had not mined, never one the
// tracker is still following.

const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const from = account.address;
const sign = (nonce: number, fee: bigint, value = 1n) =>
  account.signTransaction({
    chainId: 31337,
    type: 'eip1559',
    to: value === 0n ? from : '0x000000000000000000000000000000000000dEaD',
    value,
    gas: 21_000n,
    nonce,
    maxFeePerGas: fee,
    maxPriorityFeePerGas: 1n,
  });

const tx = (nonce: number, status: string, rawTx: Hex, more: Partial<Extract<NonceHolder, { kind: 'tx' }>> = {}) =>
  ({
    kind: 'tx',
    nonce,
    id: `id-${nonce}`,
    status,
    rawTx,
    txHash: keccak256(rawTx),
    signedAt: '2026-12-08T00:00:00.000Z',
    ...more,
  }) satisfies NonceHolder;
const filler = (nonce: number, rawTx: Hex): NonceHolder => ({
  kind: 'filler',
  nonce,
  rawTx,
  txHash: keccak256(rawTx),
  createdAt: '2026-12-08T00:00:00.000Z',
});

/** A table whose counter for `from` is at `next`, holding `holders`, read as NonceStore reads it (by range). */
function tableWith(next: number, holders: NonceHolder[]) {
  const asked: Array<[number, number]> = [];
  return {
    asked,
    readCounters: async () => [{ chainId: 31337, from, next, allocatedAt: 0 }],
    holders: async (_chain: number, _from: string, low: number, high: number) => {
      asked.push([low, high]);
      return holders.filter((h) => h.nonce >= low && h.nonce <= high);
    },
  };
}

function chainAt(next: number, refuse: string[] = []) {
  const sent: string[] = [];
  const rpc = async (method: string, params: unknown[]) => {
    if (method === 'eth_getTransactionCount') return `0x${next.toString(16)}`;
    const raw = String(params[0]);
    if (refuse.includes(raw)) throw new Error('already known');
    sent.push(raw);
    return keccak256(raw as Hex);
  };
  return { sent, rpc };
}

describe('sending again what the chain lost', () => {
  it('sends the signature each receipt names, a filler where none was read, and nothing the chain had not mined', async () => {
    // prepare: the table's counter at 10, the chain back at 2
    const original2 = await sign(2, 10n);
    const reprice2 = await sign(2, 20n); // the re-price, latest: the chain had mined the original
    const original3 = await sign(3, 10n);
    const cancel3 = await sign(3, 20n, 0n); // its cancel, latest and mined: the transaction failed
    const original4 = await sign(4, 10n);
    const cancel4 = await sign(4, 20n, 0n); // a cancel signed too late: the original was mined (confirmed)
    const original5 = await sign(5, 10n);
    const filler5 = await sign(5, 30n, 0n); // a filler took the nonce of a transaction that failed
    const original6 = await sign(6, 10n); // taken, not yet mined: the tracker's to send, the filler too
    const filler6 = await sign(6, 30n, 0n);
    const filler7 = await sign(7, 30n, 0n); // a gap filled, no receipt read
    const filler9 = await sign(9, 30n, 0n); // beside a transaction that holds the nonce, not yet signed
    const original8 = await sign(8, 10n);
    const table = tableWith(10, [
      tx(2, 'confirmed', reprice2, { minedTxHash: keccak256(original2), earlierRawTx: [original2] }),
      tx(3, 'failed', cancel3, { minedTxHash: keccak256(cancel3), earlierRawTx: [original3] }),
      tx(4, 'confirmed', cancel4, { minedTxHash: keccak256(original4), earlierRawTx: [original4] }),
      tx(5, 'failed', original5),
      filler(5, filler5),
      tx(6, 'success', original6),
      filler(6, filler6),
      filler(7, filler7),
      tx(8, 'reverted', original8, { minedTxHash: keccak256(original8) }),
      { kind: 'tx', nonce: 9, id: 'id-9', status: 'retrying', rawTx: '', txHash: '', signedAt: '' },
      filler(9, filler9),
    ]);
    const chain = chainAt(2, [filler7]);
    // act: windows of 3 nonces
    const replayed = await replayLostTransactions(table, chain.rpc, 31337, [from], 3);
    // assess
    expect(table.asked).toEqual([
      [2, 4],
      [5, 7],
      [8, 9],
    ]);
    expect(chain.sent).toEqual([original2, cancel3, original4, filler5, original8]);
    expect(replayed).toEqual([{ chainId: 31337, from, chainNext: 2, tableNext: 10, resent: 5, refused: 1 }]);
  });

  it('sends nothing, and reads no holders, for a chain that came back whole', async () => {
    const table = tableWith(3, [tx(2, 'confirmed', await sign(2, 10n))]);
    const chain = chainAt(3);
    expect(await replayLostTransactions(table, chain.rpc, 31337, [from])).toEqual([]);
    expect(chain.sent).toEqual([]);
    expect(table.asked).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { NonceHolder } from '../../functions/lib/store/NonceStore.ts';
import { replayLostTransactions } from '../../infra/local/replayLostTransactions.ts';

// What the runner sends again when its chain came back from a kill short of the table
// (infra/local/replayLostTransactions.ts): per nonce the bytes the chain had or may have had, never those
// of a transaction the client was told failed, in nonce order.

const from = '0x00000000000000000000000000000000000000aa';
const tx = (nonce: number, status: string, rawTx = `0xtx${nonce}${status}`): NonceHolder => ({
  kind: 'tx',
  nonce,
  id: `id-${nonce}-${status}`,
  status,
  rawTx,
  txHash: `0xh${nonce}`,
  signedAt: '2026-12-08T00:00:00.000Z',
});
const filler = (nonce: number): NonceHolder => ({
  kind: 'filler',
  nonce,
  rawTx: `0xfiller${nonce}`,
  txHash: `0xf${nonce}`,
  createdAt: '2026-12-08T00:00:00.000Z',
});

function chainAt(next: number, refuse: string[] = []) {
  const sent: string[] = [];
  const rpc = async (method: string, params: unknown[]) => {
    if (method === 'eth_getTransactionCount') return `0x${next.toString(16)}`;
    const raw = String(params[0]);
    if (refuse.includes(raw)) throw new Error('already known');
    sent.push(raw);
    return '0xhash';
  };
  return { sent, rpc };
}

describe('sending again what the chain lost', () => {
  it('per nonce the mined one before a filler, a taken one, never a failed one, in nonce order', async () => {
    // prepare: the table's counter at 10, the chain back at 5
    const holders = [
      tx(9, 'success'),
      filler(5),
      tx(5, 'confirmed'),
      tx(6, 'failed'),
      tx(7, 'reverted'),
      filler(8),
      tx(8, 'pending', ''),
    ];
    const asked: Array<[number, number]> = [];
    const nonces = {
      readCounters: async () => [{ chainId: 1, from, next: 10, allocatedAt: 0 }],
      holders: async (_chain: number, _from: string, low: number, high: number) => {
        asked.push([low, high]);
        return holders;
      },
    };
    const chain = chainAt(5, ['0xfiller8']);
    // act
    const replayed = await replayLostTransactions(nonces, chain.rpc, 1, [from]);
    // assess
    expect(asked).toEqual([[5, 9]]);
    expect(chain.sent).toEqual(['0xtx5confirmed', '0xtx7reverted', '0xtx9success']);
    expect(replayed).toEqual([{ chainId: 1, from, chainNext: 5, tableNext: 10, resent: 3, refused: 1 }]);
  });

  it('sends nothing, and reads no holders, for a chain that came back whole', async () => {
    let read = false;
    const nonces = {
      readCounters: async () => [{ chainId: 1, from, next: 10, allocatedAt: 0 }],
      holders: async () => {
        read = true;
        return [tx(9, 'confirmed')];
      },
    };
    const chain = chainAt(10);
    expect(await replayLostTransactions(nonces, chain.rpc, 1, [from])).toEqual([]);
    expect(chain.sent).toEqual([]);
    expect(read).toBe(false);
  });
});

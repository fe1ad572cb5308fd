import { type Hash, hexToBigInt, hexToNumber } from 'viem';
import type { ChainClient } from '../chain/ChainRegistry.ts';
import type { Receipt } from '../transactions/model.ts';

/**
 * The receipt of `hash` as the canonical chain holds it now: none (not mined, or not seen yet), `moved`
 * (a receipt whose block is no longer the chain's block at that height: a reorg is under way), or the
 * receipt with its confirmations (its block and those on top of it).
 */
export async function readReceipt(client: ChainClient, hash: Hash): Promise<Receipt | 'none' | 'moved'> {
  const raw = await client.request({ method: 'eth_getTransactionReceipt', params: [hash] });
  if (!raw) return 'none';
  const [block, head] = await Promise.all([
    client.request({ method: 'eth_getBlockByNumber', params: [raw.blockNumber, false] }),
    client.request({ method: 'eth_blockNumber' }),
  ]);
  // A receipt counts only from a block that is still the chain's at its height.
  if (!block || block.hash !== raw.blockHash) return 'moved';
  const blockNumber = hexToNumber(raw.blockNumber);
  return {
    status: raw.status === '0x1' ? 'success' : 'reverted',
    txHash: hash,
    blockNumber,
    blockHash: raw.blockHash,
    gasUsed: hexToBigInt(raw.gasUsed).toString(),
    effectiveGasPrice: hexToBigInt(raw.effectiveGasPrice ?? '0x0').toString(),
    confirmations: Math.max(1, hexToNumber(head) - blockNumber + 1),
  };
}

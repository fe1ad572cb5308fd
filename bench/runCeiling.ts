import { createPublicClient, type Hex, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devAccountKey } from './devAccount.ts';
import { type Throughput, timePhase } from './Throughput.ts';

/** One phase's size and load, and what its transactions send. */
export type PhaseOptions = { n: number; c: number; warmup: number; to: Hex; estimateGas: boolean };

/**
 * The ceiling: transactions signed beforehand (untimed) by dev account 1, then sent with
 * `eth_sendRawTransaction` straight to the node, `c` in flight. Nothing but the node's own work is timed.
 */
export async function runCeiling(rpcUrl: string, chainId: number, options: PhaseOptions): Promise<Throughput> {
  const account = privateKeyToAccount(devAccountKey(1));
  const client = createPublicClient({ transport: http(rpcUrl) });
  const first = await client.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const fees = await client.estimateFeesPerGas({ chain: null, type: 'eip1559' });
  const total = options.warmup + options.n;
  const signed: Hex[] = [];
  for (let i = 0; i < total; i++) {
    signed.push(
      await account.signTransaction({
        chainId,
        type: 'eip1559',
        to: options.to,
        value: 1n,
        gas: 21_000n,
        nonce: first + i,
        maxFeePerGas: fees.maxFeePerGas * 2n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      }),
    );
  }
  const sendRaw = async (raw: Hex | undefined) => {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] }),
    });
    const body = (await res.json()) as { error?: unknown };
    return res.ok && !body.error;
  };
  return timePhase(options, (i) => sendRaw(signed[i]));
}

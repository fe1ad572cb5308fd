import { createWalletClient, http } from 'viem';
import { nonceManager, privateKeyToAccount } from 'viem/accounts';
import { localChain } from './benchHelpers.ts';
import { devAccountKey } from './devAccount.ts';
import type { PhaseOptions } from './runCeiling.ts';
import { type Throughput, timePhase } from './Throughput.ts';

/**
 * The baseline a user weighs us against: a viem script that calls `walletClient.sendTransaction` with
 * viem's nonce manager straight at the node, `c` in flight, from dev account 2. No durability, no retries.
 */
export async function runBaseline(rpcUrl: string, chainId: number, options: PhaseOptions): Promise<Throughput> {
  const chain = localChain(chainId, rpcUrl);
  const wallet = createWalletClient({
    account: privateKeyToAccount(devAccountKey(2), { nonceManager }),
    chain,
    transport: http(rpcUrl),
  });
  const send = async () => {
    try {
      await wallet.sendTransaction({ to: options.to, value: 1n, ...(options.estimateGas ? {} : { gas: 21_000n }) });
      return true;
    } catch {
      return false;
    }
  };
  return timePhase(options, send);
}

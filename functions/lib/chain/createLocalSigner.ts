import type { Hex, LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** Signs with a private key held in memory: the local runner's dev account. */
export function createLocalSigner(privateKey: Hex): LocalAccount {
  return privateKeyToAccount(privateKey);
}

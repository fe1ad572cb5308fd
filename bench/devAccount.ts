import { type Hex, toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

/** Anvil's public test mnemonic: its first ten accounts are funded on every fresh anvil chain. */
const anvilMnemonic = 'test test test test test test test test test test test junk';

/** The private key of anvil's dev account `index` (0 is the pipeline's signer; the others are free). */
export function devAccountKey(index: number): Hex {
  const key = mnemonicToAccount(anvilMnemonic, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no key for dev account ${index}`);
  return toHex(key);
}

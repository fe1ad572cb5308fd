import type { LocalAccount } from 'viem';

/** Signs transactions for one address: the local key, or KMS. */
export type Signer = Pick<LocalAccount, 'address' | 'signTransaction'>;

/** The signer pool: every key the broadcaster may sign with, and no other. */
export type SignerSet = {
  /** The pool in its configured order (the first is the one a one-key deployment always used). */
  all: readonly Signer[];
  /** The pool's signer of `address` (any case), or undefined: an address outside the pool is never signed for. */
  get(address: string): Signer | undefined;
};

/** The pool of these signers. */
export function signerSet(signers: readonly Signer[]): SignerSet {
  const byAddress = new Map(signers.map((s) => [s.address.toLowerCase(), s]));
  return { all: signers, get: (address) => byAddress.get(address.toLowerCase()) };
}

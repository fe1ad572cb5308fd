import type { LocalAccount } from 'viem';

/** Signs transactions for one address: the local key, or KMS. */
export type Signer = Pick<LocalAccount, 'address' | 'signTransaction'>;

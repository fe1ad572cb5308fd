/**
 * The metrics the sweep emits (CloudWatch EMF, in its log) on each run: every signer's balance on every
 * configured chain (`SignerBalance`, in ether, with the chain and the address as dimensions), and how many
 * of them are below the chain's LOW_BALANCE_WEI (`SignersLowOnBalance`, no dimension: the stack's one
 * alarm covers every chain and signer).
 */
export const balanceMetrics = {
  namespace: 'TransactionBroadcaster',
  service: 'sweep',
  balance: 'SignerBalance',
  low: 'SignersLowOnBalance',
} as const;

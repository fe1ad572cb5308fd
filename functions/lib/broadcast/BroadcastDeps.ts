import type { Logger } from '@aws-lambda-powertools/logger';
import type { Hex } from 'viem';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import type { FeeCache } from '../chain/createFeeCache.ts';
import type { SignerSet } from '../chain/Signer.ts';
import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { SignerStates } from '../signers/signerStates.ts';
import type { NonceStore } from '../store/NonceStore.ts';
import type { SigningWrites } from '../store/SigningWrites.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import type { WaitingLine } from '../store/WaitingLine.ts';
import type { BroadcastMessage, ResponseMessage } from '../transactions/messages.ts';

export type BroadcastSettings = {
  maxAttempts: number;
  retryBaseSeconds: number;
  retryCapSeconds: number;
  /** How long after its first failure before sending a transaction is retried without spending an attempt (PRESEND_BUDGET_SECONDS). */
  preSendBudgetMs: number;
  leaseSeconds: number;
  /** A transaction that waits for a signer is due for the sweep this long after it began to wait (STALE_AFTER_SECONDS). */
  staleAfterMs: number;
  /** The most a re-price or a cancel may offer as max fee per gas on a chain, in wei (FEE_CAP_GWEI). */
  feeCapWei: (chainId: number) => bigint;
};

/** Everything the broadcaster's domain code talks to, created once per process. */
export type BroadcastDeps = {
  /** The broadcaster reads a transaction and makes the signing writes; it never moves a status. */
  transactions: Pick<TransactionReads, 'get'> & SigningWrites;
  nonces: NonceStore;
  chains: ChainRegistry;
  fees: FeeCache;
  /** The signer pool: the broadcaster signs with these keys and no other. */
  signers: SignerSet;
  /** Where each signer of the pool stands on a chain: in flight, room, health. */
  signerStates: SignerStates;
  /** The line of transactions waiting for a signer with room: one that parks takes itself out if room came meanwhile. */
  waiting: Pick<WaitingLine, 'take' | 'markParked'>;
  retryQueue: QueueSender<BroadcastMessage>;
  responses: QueueSender<ResponseMessage>;
  settings: BroadcastSettings;
  logger: Logger;
  now: () => Date;
  random: () => number;
  /** Where the fillers signed and the replacements stored are counted (FillersSent, Repriced); none: nothing is. */
  metrics?: Pick<ServiceMetricsSink<'broadcaster'>, 'count'> | undefined;
};

export type SignedTransaction = { rawTx: Hex; txHash: Hex; nonce: number; from: string };

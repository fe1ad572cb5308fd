import type { BroadcastDeps } from '../broadcast/BroadcastDeps.ts';
import { coalesceNonceAllocations } from '../broadcast/coalesceNonceAllocations.ts';
import { createFeeCache } from '../chain/createFeeCache.ts';
import { gweiToWei } from '../chain/replacementFees.ts';
import { createSignerStates, signerStatesSettings } from '../signers/signerStates.ts';
import type { Services } from './createServices.ts';

/** The broadcaster's dependencies from the services's clients; waits for the signers' addresses. */
export async function buildBroadcastDeps(services: Services): Promise<BroadcastDeps> {
  const { config } = services;
  const signers = await services.signers();
  return {
    transactions: services.transactions,
    // The records of a batch sign side by side: their nonces come from one counter update.
    nonces: coalesceNonceAllocations(services.nonces),
    chains: services.chains,
    fees: createFeeCache(config.FEE_CACHE_MS),
    signers,
    signerStates: createSignerStates({
      signers,
      nonces: services.nonces,
      chains: services.chains,
      settings: signerStatesSettings(config),
    }),
    waiting: services.waiting,
    retryQueue: services.queues.retry,
    responses: services.queues.responses,
    settings: {
      maxAttempts: config.MAX_ATTEMPTS,
      retryBaseSeconds: config.RETRY_BASE_SECONDS,
      retryCapSeconds: config.RETRY_CAP_SECONDS,
      preSendBudgetMs: config.PRESEND_BUDGET_SECONDS * 1000,
      leaseSeconds: config.SIGNING_LEASE_SECONDS,
      staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
      feeCapWei: (chainId) => gweiToWei(config.FEE_CAP_GWEI(chainId)),
    },
    logger: services.logger,
    now: () => new Date(),
    random: Math.random,
  };
}

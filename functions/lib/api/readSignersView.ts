import type { Logger } from '@aws-lambda-powertools/logger';
import { BaseError, type Hex, isAddressEqual } from 'viem';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import type { SignerSet } from '../chain/Signer.ts';
import { createSignerStates, type SignerStates, type SignerStatesDeps } from '../signers/signerStates.ts';
import type { NonceStore } from '../store/NonceStore.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import type { ChainSigners, SignersView } from '../transactions/listing.ts';

export type SignersViewDeps = {
  signers: () => Promise<SignerSet>;
  nonces: Pick<NonceStore, 'readCounters' | 'holders'>;
  chains: ChainRegistry;
  transactions: Pick<TransactionReads, 'countWaiting'>;
  settings: SignerStatesDeps['settings'];
  logger: Pick<Logger, 'warn'>;
  /** The signer states to read (shared with the balance guard); made here when not given. */
  states?: () => Promise<SignerStates>;
  /** What each signer's open transactions may still spend (the balance guard's read). */
  openSpend?: (chainId: number) => Promise<ReadonlyArray<{ address: string; openSpend: bigint }>>;
};

/** The pool's signer states, made once on first use (a failed making is tried again by the next caller). */
export function signerStatesOnce(
  deps: Pick<SignersViewDeps, 'signers' | 'nonces' | 'chains' | 'settings'>,
): () => Promise<SignerStates> {
  let states: Promise<SignerStates> | undefined;
  return () => {
    if (!states) {
      const made = deps
        .signers()
        .then((signers) =>
          createSignerStates({ signers, nonces: deps.nonces, chains: deps.chains, settings: deps.settings }),
        );
      made.catch(() => {
        if (states === made) states = undefined;
      });
      states = made;
    }
    return states;
  };
}

/**
 * The admin's view of the signer pool: on every configured chain, where each signer stands (read
 * fresh: its counter, the chain's mined nonce; its balance and its head's health as the broadcaster
 * reads them, at most BALANCE_CACHE_MS old), and how many transactions wait for a signer. A chain whose
 * RPC does not answer is one chain's `error`, not a failure of the view; our own table failing is.
 */
export function createSignersView(deps: SignersViewDeps): () => Promise<SignersView> {
  const statesOf = deps.states ?? signerStatesOnce(deps);

  async function chainView(pool: SignerStates, signers: SignerSet, chainId: number): Promise<ChainSigners> {
    const [waiting, read] = await Promise.all([
      deps.transactions.countWaiting(chainId),
      Promise.all([pool.read(chainId, { fresh: true }), deps.openSpend?.(chainId)]).then(
        ([rows, spend]) => ({ rows, spend }),
        (error: unknown) => {
          // A chain's failure (viem's errors) is this chain's; anything else is ours, and a 500.
          if (!(error instanceof BaseError)) throw error;
          return { error };
        },
      ),
    ]);
    if ('rows' in read) {
      return {
        chainId,
        waiting,
        error: null,
        signers: read.rows.map((s) => ({
          address: s.address,
          balance: s.balance === undefined ? null : s.balance.toString(),
          inFlight: s.inFlight,
          cap: s.cap,
          next: s.next ?? null,
          mined: s.mined,
          healthy: s.healthy,
          why: s.why ?? null,
          openSpend:
            read.spend?.find((o) => isAddressEqual(o.address as Hex, s.address as Hex))?.openSpend.toString() ?? null,
        })),
      };
    }
    // The error's name only: a viem message may carry the RPC URL, and a provider's URL carries its API key.
    deps.logger.warn('signers view: a chain did not answer', { chainId, error: read.error.name });
    return {
      chainId,
      waiting,
      error: `chain ${chainId} did not answer (${read.error.name}): its signers could not be read`,
      signers: signers.all.map((s) => ({
        address: s.address,
        balance: null,
        inFlight: null,
        cap: deps.settings.maxInFlight(chainId),
        next: null,
        mined: null,
        healthy: null,
        why: null,
        openSpend: null,
      })),
    };
  }

  return async () => {
    const [pool, signers] = await Promise.all([statesOf(), deps.signers()]);
    return { chains: await Promise.all(deps.chains.chainIds().map((chainId) => chainView(pool, signers, chainId))) };
  };
}

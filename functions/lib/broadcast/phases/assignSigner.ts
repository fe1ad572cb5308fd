import { type Hex, isAddressEqual } from 'viem';
import type { ClassifiedRpcError } from '../../chain/classifyRpcError.ts';
import { classifyRpcError } from '../../chain/classifyRpcError.ts';
import type { Signer } from '../../chain/Signer.ts';
import { SigningInProgressError } from '../../errors/errors.ts';
import { chooseSigner, type SignerState } from '../../signers/signerStates.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps } from '../BroadcastDeps.ts';

/**
 * The signer a transaction is signed by, with the limit its nonce must stay below (undefined when the
 * nonce was taken already); or why it must wait for one; or an error to act on.
 */
export type Assignment =
  | {
      signer: Signer;
      limit: number | undefined;
      /** Chosen now (not named by the request, nor bound by an earlier attempt): it may be let go before a nonce is taken. */
      chosen: boolean;
    }
  | { waiting: string }
  | { error: ClassifiedRpcError };

/** True when `bound` (or, for none, a healthy signer of the pool) has room for one more. */
export function hasRoom(states: readonly Readonly<SignerState>[], bound: string | undefined): boolean {
  if (bound === undefined) return 'chosen' in chooseSigner(states);
  return states.some((s) => isAddressEqual(s.address as Hex, bound as Hex) && s.inFlight < s.cap);
}

/** Why a transaction bound to `state`'s signer waits for it. */
const fullReason = (state: Pick<SignerState, 'address' | 'inFlight' | 'cap'>) =>
  `waiting for its signer ${state.address}: it holds ${state.inFlight} unmined transactions, the most it may (MAX_IN_FLIGHT_PER_SIGNER ${state.cap})`;

/**
 * The signer of a transaction about to take a nonce, under the claim `token`. One the request named, or
 * one chosen before (its nonce reserved, or chosen and then refused as full), stays its signer. Otherwise
 * the healthy signer with the fewest unmined transactions on its chain, below its in-flight cap, is
 * chosen, and stored on the record before any nonce is taken: a retry, a sweep or a restart never
 * chooses again. With a one-key pool there is nothing to choose and nothing is stored here.
 */
export async function assignSigner(deps: BroadcastDeps, tx: Transaction, token: string): Promise<Assignment> {
  if (tx.from !== undefined && deps.signers.get(tx.from) === undefined) {
    const pool = deps.signers.all.map((s) => s.address).join(', ');
    return {
      error: {
        class: 'permanent',
        label: 'signer',
        reason: `from ${tx.from} is not a signer of this deployment (its signers: ${pool})`,
      },
    };
  }
  const bound = tx.from === undefined ? undefined : deps.signers.get(tx.from);
  // Its nonce was taken by an earlier attempt that could not sign: that nonce, by that signer, and no other.
  if (bound && tx.nonce !== undefined) return { signer: bound, limit: undefined, chosen: false };
  let states: readonly Readonly<SignerState>[];
  try {
    states = await deps.signerStates.read(tx.chainId);
    // The states read within FEE_CACHE_MS count every choice made since, but not what was mined since: before
    // deciding there is no room, read them again.
    if (!hasRoom(states, bound?.address)) states = await deps.signerStates.reread(tx.chainId, states);
  } catch (error) {
    return { error: classifyRpcError(error) };
  }
  if (bound) {
    const state = states.find((s) => isAddressEqual(s.address as Hex, bound.address));
    if (!state) return { error: { class: 'transient', label: 'signer', reason: `no state for ${bound.address}` } };
    if (state.inFlight >= state.cap) return { waiting: fullReason(state) };
    deps.signerStates.taken(tx.chainId, bound.address, 1);
    return { signer: bound, limit: state.mined + state.cap, chosen: false };
  }
  const choice = chooseSigner(states, deps.random);
  if ('none' in choice) return { waiting: choice.none };
  const signer = deps.signers.get(choice.chosen.address) as Signer;
  const limit = choice.chosen.mined + choice.chosen.cap;
  // Counted at once, before anything is awaited: the records signed side by side in this process read
  // the same states, and each sees the choices made before its own, so they spread over the pool.
  deps.signerStates.taken(tx.chainId, signer.address, 1);
  if (deps.signers.all.length > 1 && !(await deps.transactions.assignSigner(tx.id, token, signer.address))) {
    throw new SigningInProgressError(tx.id);
  }
  return { signer, limit, chosen: true };
}

/** Why a transaction waits after its signer refused a nonce as full. */
export const refusedReason = (from: string, limit: number) =>
  `waiting for its signer ${from}: it holds the most unmined transactions it may (its nonces stop below ${limit})`;

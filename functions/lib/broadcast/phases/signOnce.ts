import { type Hex, keccak256 } from 'viem';
import type { ChainClient } from '../../chain/ChainRegistry.ts';
import { type ClassifiedRpcError, classifyRpcError } from '../../chain/classifyRpcError.ts';
import type { Signer } from '../../chain/Signer.ts';
import { isTransient, SignerFullError, SigningInProgressError, UnknownChainError } from '../../errors/errors.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from '../BroadcastDeps.ts';
import { assignSigner, refusedReason } from './assignSigner.ts';

/**
 * Signed and stored; or an error to act on, with the nonce it had taken (and reserved), if any; or it
 * must wait for a signer with room (`from`: the signer it is bound to, if one is).
 */
export type SignResult =
  | { signed: SignedTransaction }
  | { error: ClassifiedRpcError; nonce?: number; from?: string }
  | { waiting: string; from?: string };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Prices, signs and stores the transaction once, under the claim `token`, by the signer assigned to it
 * (`assignSigner`), with a nonce below that signer's in-flight limit. Chain errors before the nonce is
 * taken, and transient signing errors after it (with that nonce, reserved on the record so the next
 * attempt signs with it), are returned, as is a signer with no room; a lost claim throws.
 */
export async function signOnce(deps: BroadcastDeps, tx: Transaction, token: string): Promise<SignResult> {
  let client: ChainClient;
  try {
    client = deps.chains.client(tx.chainId);
  } catch (error) {
    if (error instanceof UnknownChainError)
      return { error: { class: 'permanent', label: 'unknown chain', reason: error.message } };
    throw error;
  }
  const request = { to: tx.to as Hex, value: BigInt(tx.value), data: tx.data as Hex };
  let fees: Awaited<ReturnType<BroadcastDeps['fees']['get']>>;
  try {
    fees = await deps.fees.get(tx.chainId, client);
  } catch (error) {
    return { error: classifyRpcError(error) };
  }
  // The signer and its nonce. A chosen signer that refuses the nonce as full (another worker took its
  // last room first) is let go and another is chosen, as long as one has room; one named or bound waits.
  let signer: Signer;
  let gas: bigint;
  let nonce: number;
  for (let round = 0; ; round++) {
    const assigned = await assignSigner(deps, tx, token);
    if ('error' in assigned) return { error: assigned.error };
    if ('waiting' in assigned) return { waiting: assigned.waiting, ...(tx.from ? { from: tx.from } : {}) };
    const { limit } = assigned;
    signer = assigned.signer;
    const from = signer.address;
    // No nonce was taken for a signer chosen now: the choice is let go, so the next attempt (or the
    // next round, for a full one) chooses again among the pool rather than wait on this one.
    const letGo = async () => {
      if (!assigned.chosen || deps.signers.all.length === 1) return;
      if (!(await deps.transactions.unassignSigner(tx.id, token, from))) throw new SigningInProgressError(tx.id);
    };
    try {
      gas = tx.gas ? BigInt(tx.gas) : await client.estimateGas({ account: from, ...request });
    } catch (error) {
      await letGo();
      return { error: classifyRpcError(error) };
    }
    try {
      // A nonce reserved by an earlier claim that could not sign is the one to use: never take two.
      nonce =
        tx.nonce ??
        (await deps.nonces.allocate(
          tx.chainId,
          from,
          () => client.getTransactionCount({ address: from, blockTag: 'pending' }),
          deps.now().getTime(),
          1,
          limit,
        ));
      break;
    } catch (error) {
      if (!(error instanceof SignerFullError) || limit === undefined) {
        const c = classifyRpcError(error);
        if (c.class === 'unknown') throw error;
        await letGo();
        return { error: c };
      }
      deps.signerStates.full(tx.chainId, from);
      if (!assigned.chosen) return { waiting: refusedReason(from, limit), from };
      await letGo();
      if (round + 1 >= deps.signers.all.length) {
        return { waiting: `waiting for a signer: every one took its most unmined transactions (${from} last)` };
      }
    }
  }
  const from = signer.address;
  let rawTx: Hex;
  let txHash: Hex;
  let saved: boolean;
  try {
    rawTx = await signer.signTransaction({
      chainId: tx.chainId,
      type: 'eip1559',
      ...request,
      gas,
      nonce,
      ...fees,
    });
    txHash = keccak256(rawTx);
    saved = await deps.transactions.saveSignature(
      tx.id,
      token,
      {
        chainId: tx.chainId,
        from,
        nonce,
        rawTx,
        txHash,
        gas: gas.toString(),
        maxFeePerGas: fees.maxFeePerGas.toString(),
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
      },
      deps.now(),
    );
  } catch (error) {
    // Signing (KMS) or storing failed after the nonce was taken: keep the nonce on the transaction so
    // the next attempt signs with it instead of burning another.
    if (tx.nonce === undefined) {
      await deps.transactions.reserveNonce(tx.id, token, { chainId: tx.chainId, from, nonce }).catch(() => false);
    }
    if (isTransient(error)) {
      return { error: { class: 'transient', label: 'signing', reason: messageOf(error) }, nonce, from };
    }
    throw error;
  }
  // A lost claim leaves this nonce unused; the sweep's gap filler takes care of it.
  if (!saved) throw new SigningInProgressError(tx.id);
  return { signed: { rawTx, txHash, nonce, from } };
}

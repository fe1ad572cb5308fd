import { type Hex, keccak256 } from 'viem';
import type { ChainClient } from '../../chain/ChainRegistry.ts';
import { type ClassifiedRpcError, classifyRpcError } from '../../chain/classifyRpcError.ts';
import { isTransient, SigningInProgressError, UnknownChainError } from '../../errors/errors.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from '../BroadcastDeps.ts';

/** Signed and stored, or an error to act on: with the nonce it had taken (and reserved), if any. */
export type SignResult = { signed: SignedTransaction } | { error: ClassifiedRpcError; nonce?: number };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Prices, signs and stores the transaction once, under the claim `token`. Chain errors before the
 * nonce is taken, and transient signing errors after it (with that nonce, reserved on the record so
 * the next attempt signs with it), are returned; a lost claim throws.
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
  const from = deps.signer.address;
  const request = { to: tx.to as Hex, value: BigInt(tx.value), data: tx.data as Hex };
  let fees: Awaited<ReturnType<BroadcastDeps['fees']['get']>>;
  let gas: bigint;
  try {
    fees = await deps.fees.get(tx.chainId, client);
    gas = tx.gas ? BigInt(tx.gas) : await client.estimateGas({ account: from, ...request });
  } catch (error) {
    return { error: classifyRpcError(error) };
  }
  let nonce: number;
  try {
    // A nonce reserved by an earlier claim that could not sign is the one to use: never take two.
    nonce =
      tx.nonce ??
      (await deps.nonces.allocate(
        tx.chainId,
        from,
        () => client.getTransactionCount({ address: from, blockTag: 'pending' }),
        deps.now().getTime(),
      ));
  } catch (error) {
    const c = classifyRpcError(error);
    if (c.class === 'unknown') throw error;
    return { error: c };
  }
  let rawTx: Hex;
  let txHash: Hex;
  let saved: boolean;
  try {
    rawTx = await deps.signer.signTransaction({
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
    if (isTransient(error)) return { error: { class: 'transient', label: 'signing', reason: messageOf(error) }, nonce };
    throw error;
  }
  // A lost claim leaves this nonce unused; the sweep's gap filler takes care of it.
  if (!saved) throw new SigningInProgressError(tx.id);
  return { signed: { rawTx, txHash, nonce, from } };
}

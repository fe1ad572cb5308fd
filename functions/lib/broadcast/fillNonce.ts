import { type Hex, keccak256, parseTransaction } from 'viem';
import type { ChainClient } from '../chain/ChainRegistry.ts';
import { marketAbove, replacementFees } from '../chain/replacementFees.ts';
import { type ResendResult, resendRaw } from '../chain/resendRaw.ts';
import type { Signer } from '../chain/Signer.ts';
import type { Filler } from '../store/NonceStore.ts';
import type { BroadcastDeps } from './BroadcastDeps.ts';

/** The filler of a nonce, and what the node made of it (`later`: the sweep re-sends it). */
export type FillResult = { filler: Filler } & ResendResult;

const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * Uses up `nonce` with a zero-value transfer to the sender itself, so that the transactions
 * behind it are not blocked. The filler is recorded (once per nonce) before it is sent, and its
 * fees outbid `replacing` (the failed transaction's bytes) so it replaces them if they linger in a pool.
 */
export async function fillNonce(
  deps: Pick<BroadcastDeps, 'nonces' | 'fees' | 'signers' | 'now' | 'settings' | 'logger' | 'metrics'>,
  client: ChainClient,
  params: {
    chainId: number;
    /** The sender whose nonce it is: a signer of the pool. */
    from: string;
    nonce: number;
    reason: string;
    forId?: string;
    replacing?: Hex;
    reprice?: string;
  },
): Promise<FillResult> {
  const signer = poolSigner(deps, params.from);
  // A filler already made for this nonce is the one: send it again rather than sign (KMS) anew, unless
  // it waited unmined under a market above its fees: then it is re-priced by the transactions' rules.
  const existing = await deps.nonces.findFiller(params.chainId, signer.address, params.nonce);
  if (existing && params.reprice === existing.txHash) return repriceFiller(deps, client, signer, existing);
  if (existing) return sendFiller(client, existing);
  const current = await deps.fees.get(params.chainId, client);
  let maxFeePerGas = current.maxFeePerGas * 2n;
  let maxPriorityFeePerGas = current.maxPriorityFeePerGas * 2n;
  if (params.replacing) {
    const old = parseTransaction(params.replacing);
    // Replacement needs a bump of at least 10% on both fees in most clients; take 25%.
    if (old.maxFeePerGas) maxFeePerGas = maxBig(maxFeePerGas, (old.maxFeePerGas * 125n) / 100n);
    if (old.maxPriorityFeePerGas)
      maxPriorityFeePerGas = maxBig(maxPriorityFeePerGas, (old.maxPriorityFeePerGas * 125n) / 100n);
    if (old.gasPrice) maxFeePerGas = maxBig(maxFeePerGas, (old.gasPrice * 125n) / 100n);
  }
  if (maxPriorityFeePerGas > maxFeePerGas) maxFeePerGas = maxPriorityFeePerGas;
  const rawTx = await signer.signTransaction({
    chainId: params.chainId,
    type: 'eip1559',
    to: signer.address,
    value: 0n,
    gas: 21_000n,
    nonce: params.nonce,
    maxFeePerGas,
    maxPriorityFeePerGas,
  });
  const txHash = keccak256(rawTx);
  const { filler, created } = await deps.nonces.createFiller({
    chainId: params.chainId,
    from: signer.address,
    nonce: params.nonce,
    rawTx,
    txHash,
    reason: params.reason,
    createdAt: deps.now().toISOString(),
    ...(params.forId ? { forId: params.forId } : {}),
  });
  // Counted by the worker whose filler was stored: another's, made first for this nonce, is the one sent
  // (with the same hash, when both signed the same fees with a deterministic key).
  if (created) deps.metrics?.count('fillers', 1);
  return sendFiller(client, filler);
}

/** The pool's signer of `from`; a sender outside the pool is never signed for. */
export function poolSigner(deps: Pick<BroadcastDeps, 'signers'>, from: string): Signer {
  const signer = deps.signers.get(from);
  if (!signer) throw new Error(`${from} is not a signer of this deployment's pool; nothing is signed for it`);
  return signer;
}

/** Sends a recorded filler's bytes (again); safe to repeat. */
async function sendFiller(client: ChainClient, filler: Filler): Promise<FillResult> {
  const sent = await resendRaw(client, filler.rawTx as Hex);
  return { filler, ...sent };
}

/**
 * A filler that waited unmined: when the market's fees are above its own, signs a replacement for its
 * nonce (the same zero-value transfer to the sender) at fees at least 12.5% over them and at least the
 * market's, within the fee cap, and stores it before it is sent, as a transaction's re-price is. At the
 * cap, or with the market not above it, the filler is sent again as it is.
 */
async function repriceFiller(
  deps: Pick<BroadcastDeps, 'nonces' | 'fees' | 'now' | 'settings' | 'logger'>,
  client: ChainClient,
  signer: Signer,
  filler: Filler,
): Promise<FillResult> {
  const old = parseTransaction(filler.rawTx as Hex);
  const oldFees = { maxFeePerGas: old.maxFeePerGas ?? 0n, maxPriorityFeePerGas: old.maxPriorityFeePerGas ?? 0n };
  const market = await deps.fees.get(filler.chainId, client);
  if (!marketAbove(market, oldFees)) return sendFiller(client, filler);
  const replacement = replacementFees(oldFees, market, deps.settings.feeCapWei(filler.chainId));
  if (!replacement.replaceable) {
    deps.logger.warn('filler stuck at the fee cap', {
      chainId: filler.chainId,
      nonce: filler.nonce,
      reason: replacement.reason,
    });
    return sendFiller(client, filler);
  }
  const rawTx = await signer.signTransaction({
    chainId: filler.chainId,
    type: 'eip1559',
    to: signer.address,
    value: 0n,
    gas: 21_000n,
    nonce: filler.nonce,
    ...replacement.fees,
  });
  const txHash = keccak256(rawTx);
  const at = deps.now().toISOString();
  if (!(await deps.nonces.replaceFiller(filler, filler.txHash, { rawTx, txHash, at }))) {
    // Another worker re-priced it first: send the one the record holds.
    const current = await deps.nonces.findFiller(filler.chainId, filler.from, filler.nonce);
    return sendFiller(client, current ?? filler);
  }
  deps.logger.info('filler re-priced', {
    chainId: filler.chainId,
    nonce: filler.nonce,
    txHash,
    replaced: filler.txHash,
  });
  return sendFiller(client, {
    ...filler,
    rawTx,
    txHash,
    repricedAt: at,
    previous: [...(filler.previous ?? []), filler.txHash],
  });
}

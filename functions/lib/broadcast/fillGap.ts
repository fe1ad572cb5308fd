import type { FillMessage } from '../transactions/messages.ts';
import type { BroadcastDeps } from './BroadcastDeps.ts';
import { type FillResult, fillNonce } from './fillNonce.ts';

/**
 * Fills a nonce gap the sweep found. Only the pool's signers' nonces are filled; a repeated request
 * sends the filler recorded the first time (one filler per nonce, signed once).
 */
export async function fillGap(deps: BroadcastDeps, { fill }: FillMessage): Promise<FillResult | undefined> {
  if (!deps.signers.get(fill.from)) {
    deps.logger.warn('a nonce gap of another signer; not ours to fill', { chainId: fill.chainId, from: fill.from });
    return undefined;
  }
  const result = await fillNonce(deps, deps.chains.client(fill.chainId), {
    chainId: fill.chainId,
    from: fill.from,
    nonce: fill.nonce,
    reason: fill.reason,
    ...(fill.reprice ? { reprice: fill.reprice } : {}),
  });
  deps.logger.warn('filled a nonce gap', {
    chainId: fill.chainId,
    nonce: fill.nonce,
    filler: result.filler.txHash,
    outcome: result.outcome,
  });
  return result;
}

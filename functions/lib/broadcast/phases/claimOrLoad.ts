import { randomUUID } from 'node:crypto';
import type { Hex } from 'viem';
import { SigningInProgressError } from '../../errors/errors.ts';
import { isTerminal, isTracked, type Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from '../BroadcastDeps.ts';

/**
 * Where a transaction stands when a message for it arrives:
 * - gone: unknown, terminal, or taken by the node already (the tracker follows it): nothing to do;
 * - closed: it failed before it was signed (fenced): only its failure may be reported again;
 * - unsigned: this worker now holds the claim to sign it (`token`);
 * - signed: its bytes were stored earlier: every later attempt sends exactly these.
 */
export type Claim =
  | { state: 'gone'; reason: string }
  | { state: 'closed'; reason: string }
  | { state: 'unsigned'; tx: Transaction; token: string }
  | { state: 'signed'; tx: Transaction; signed: SignedTransaction };

/** Claims an unsigned transaction for signing, or loads the bytes signed earlier; throws while another worker signs it. */
export async function claimOrLoad(
  deps: Pick<BroadcastDeps, 'transactions' | 'now' | 'settings'>,
  id: string,
): Promise<Claim> {
  const now = deps.now().getTime();
  const token = randomUUID();
  const claimed = await deps.transactions.claimForSigning(
    id,
    { token, until: now + deps.settings.leaseSeconds * 1000 },
    now,
  );
  if (claimed) return { state: 'unsigned', tx: claimed, token };
  const tx = await deps.transactions.get(id);
  if (!tx) return { state: 'gone', reason: 'unknown id' };
  // Terminal, or taken by the node and followed by the tracker: nothing for the broadcaster to do.
  if (isTerminal(tx.status) || isTracked(tx.status)) return { state: 'gone', reason: `already ${tx.status}` };
  if (tx.signingClosed !== undefined && !tx.rawTx) return { state: 'closed', reason: tx.signingClosed };
  if (tx.rawTx && tx.txHash && tx.nonce !== undefined && tx.from) {
    return {
      state: 'signed',
      tx,
      signed: { rawTx: tx.rawTx as Hex, txHash: tx.txHash as Hex, nonce: tx.nonce, from: tx.from },
    };
  }
  throw new SigningInProgressError(id);
}

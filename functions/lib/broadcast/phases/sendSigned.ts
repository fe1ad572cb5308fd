import type { Hex } from 'viem';
import { classifyRpcError } from '../../chain/classifyRpcError.ts';
import { landed } from '../../chain/findTransaction.ts';
import type { Transaction } from '../../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from '../BroadcastDeps.ts';
import { findSignature } from '../findSignature.ts';
import { failed, type Outcome, succeeded } from '../outcome.ts';
import { scheduleNext } from './scheduleNext.ts';
import { failAndFill } from './settleSpent.ts';

/** Sends the stored bytes for attempt `attempt` and decides what the node's answer means (DESIGN.md's table). */
export async function sendSigned(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  signed: SignedTransaction,
): Promise<Outcome> {
  const client = deps.chains.client(tx.chainId);
  try {
    await client.sendRawTransaction({ serializedTransaction: signed.rawTx });
    return succeeded(signed.txHash, `Broadcast on attempt ${attempt}: the node accepted ${signed.txHash}.`);
  } catch (error) {
    const c = classifyRpcError(error);
    switch (c.class) {
      case 'known':
        return succeeded(signed.txHash, `Broadcast: the node already had ${signed.txHash}.`);
      case 'nonceUsed': {
        // Any of its signatures may hold the nonce (an earlier one, before a re-price or a cancel).
        const { seen, txHash } = await findSignature(client, tx, signed.txHash);
        if (landed(seen)) return succeeded(txHash, `Broadcast: ${txHash} is already on chain or in the pool.`);
        // A node that cannot tell us about our own hash decides nothing: try again, or settle later.
        if (seen === 'unreachable') return scheduleNext(deps, tx, attempt, { ...c, class: 'transient' }, signed, seen);
        const chainNext = await client
          .getTransactionCount({ address: signed.from as Hex, blockTag: 'pending' })
          .catch(() => undefined);
        if (chainNext !== undefined) await deps.nonces.raiseFloor(tx.chainId, signed.from, chainNext);
        return failed(
          { ...c, reason: `nonce ${signed.nonce} was already used by another transaction (${c.reason})` },
          attempt,
        );
      }
      case 'replacement':
      case 'unknown': {
        const { seen, txHash } = await findSignature(client, tx, signed.txHash);
        if (landed(seen)) return succeeded(txHash, `Broadcast: the node knows ${txHash}.`);
        return scheduleNext(deps, tx, attempt, c, signed, seen);
      }
      case 'transient':
        return scheduleNext(deps, tx, attempt, c, signed);
      case 'permanent':
        return failAndFill(deps, client, tx, attempt, c, signed);
    }
  }
}

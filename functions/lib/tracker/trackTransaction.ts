import type { Logger } from '@aws-lambda-powertools/logger';
import { type Hash, type Hex, hexToNumber } from 'viem';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import type { FeeCache } from '../chain/createFeeCache.ts';
import { readRevertReason } from '../chain/readRevertReason.ts';
import { resendRaw } from '../chain/resendRaw.ts';
import type { Depth } from '../config/loadConfig.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import type { LineMarker } from '../store/WaitingLine.ts';
import {
  type BroadcastMessage,
  chainOfLook,
  type ResponseMessage,
  type TrackMessage,
} from '../transactions/messages.ts';
import { awaitsCancel, isTracked, type Receipt, type Transaction } from '../transactions/model.ts';
import { askToReplace } from './askToReplace.ts';
import { readReceipt } from './readReceipt.ts';

/** What the tracker talks to: it reads the record and the chain, and reports; it never writes the table or signs. */
export type TrackDeps = {
  transactions: Pick<TransactionReads, 'get' | 'getWithLine'>;
  chains: ChainRegistry;
  responses: QueueSender<ResponseMessage>;
  tracking: QueueSender<TrackMessage>;
  /** Where it asks the broadcaster, the only signer, to re-price or cancel. */
  requests: QueueSender<BroadcastMessage>;
  fees: FeeCache;
  settings: {
    /** The chain's depth: a receipt with this many confirmations is final, or one the `finalized` block holds. */
    confirmations: (chainId: number) => Depth;
    /** Seconds between two looks on a chain: about a block (TRACK_INTERVAL_SECONDS). */
    intervalSeconds: (chainId: number) => number;
    /** Blocks unmined, with the market above its fees, before a re-price (STUCK_AFTER_BLOCKS). */
    stuckAfterBlocks: (chainId: number) => number;
    /** The most a re-price may offer as max fee per gas, in wei (FEE_CAP_GWEI). */
    feeCapWei: (chainId: number) => bigint;
  };
  /** Counts a transaction found waiting at the fee cap: the metric an alarm watches. */
  metrics: { stuck(chainId: number): void };
  /**
   * A nonce of `from` on `chainId` is used (its transaction is in a block, or its nonce taken): that
   * signer has room for one more. Wakes the oldest transaction waiting there that it may sign
   * (`wakeWaiting`), at once, a queue hop before the updater hears of it. `line` is the chain's line
   * marker as read with the record, when the message named the chain: none, and the wake reads the line.
   */
  wake?: (chainId: number, from: string | undefined, line: LineMarker | 'unread' | undefined) => Promise<unknown>;
  logger: Logger;
  now: () => Date;
};

/** What one look decided: a report sent (and whether the tracking goes on), or nothing to report yet. */
export type TrackResult =
  | { action: 'stopped'; why: string }
  | { action: 'reported'; status: ResponseMessage['status']; next: boolean }
  | { action: 'waiting'; misses: number };

/**
 * True once a receipt is final: with this many confirmations, or in a block at or below the node's
 * `finalized` one. A node that cannot tell its finalized block (no such tag, or no answer) says not yet.
 */
async function atDepth(client: ReturnType<ChainRegistry['client']>, receipt: Receipt, depth: Depth): Promise<boolean> {
  if (depth !== 'finalized') return receipt.confirmations >= depth;
  const finalized = await client
    .request({ method: 'eth_getBlockByNumber', params: ['finalized', false] })
    .catch(() => null);
  const number = finalized?.number;
  return typeof number === 'string' && hexToNumber(number) >= receipt.blockNumber;
}

/** Looks in a row without a receipt before one decides anything: one empty answer decides nothing. */
const missesToDecide = 2;

/** Every signature of a transaction, the latest first (any of them may be the one mined). */
function hashesOf(tx: Transaction): Hash[] {
  const all = (tx.hashes ?? []).map((h) => h.txHash);
  if (tx.txHash && !all.includes(tx.txHash)) all.push(tx.txHash);
  return all.reverse() as Hash[];
}

/** True when the node says one of `hashes` is in a block (asked one by one, after the receipts were read). */
async function anyMined(client: ReturnType<ChainRegistry['client']>, hashes: Hash[]): Promise<boolean> {
  for (const hash of hashes) {
    const seen = await client.request({ method: 'eth_getTransactionByHash', params: [hash] });
    if (seen?.blockHash) return true;
  }
  return false;
}

/**
 * One look at the chain for a transaction the node took (`success`) or that is in a block (`mined`):
 * reads the receipt of each of its signatures, counts a receipt only from a canonical block, and
 * reports `mined` short of the chain's depth, `confirmed` or `reverted` at it, `success` again when a
 * reorg took its block away (re-sending its bytes), and `failed` when its nonce was mined by none of its
 * signatures. A transaction no longer in the node's pool is sent again. Without a report it looks again
 * in about a block; a report that goes on is handed on by the updater, under a new token, once applied.
 * A tracking message whose token the record no longer holds stops.
 */
export async function trackTransaction(deps: TrackDeps, message: TrackMessage): Promise<TrackResult> {
  const log = deps.logger.createChild({ persistentKeys: { transactionId: message.id } });
  // A look that may wake (one at `success`) names its chain and reads the line's marker with the record, in
  // the same request; the others, and one whose read of both fails, read the record alone.
  const alone = async () => ({ tx: await deps.transactions.get(message.id), line: 'unread' as const });
  const { tx, line } =
    message.chainId === undefined
      ? await alone()
      : await deps.transactions.getWithLine(message.id, message.chainId).catch(alone);
  if (!tx || !isTracked(tx.status)) return { action: 'stopped', why: tx ? `it is ${tx.status}` : 'unknown id' };
  if (tx.trackToken !== message.token) return { action: 'stopped', why: 'another tracking follows it' };
  const client = deps.chains.client(tx.chainId);
  const depth = deps.settings.confirmations(tx.chainId);
  const misses = message.misses ?? 0;
  const hashes = hashesOf(tx);
  const again = (next: number, nonceTaken = false) =>
    deps.tracking.send(
      {
        id: tx.id,
        ...chainOfLook(tx.status, tx.chainId),
        token: message.token,
        misses: next,
        ...(nonceTaken ? { nonceTaken } : {}),
      },
      deps.settings.intervalSeconds(tx.chainId),
    );
  // A report that goes on (`next`) is handed on by the updater: once applied, it starts the next look
  // under a new token; a report it ignores (this look was delivered twice) ends this tracking here.
  const report = async (r: Omit<ResponseMessage, 'id' | 'attempt' | 'at'>, next: boolean): Promise<TrackResult> => {
    await deps.responses.send({
      id: tx.id,
      attempt: Math.max(1, tx.attempts),
      at: deps.now().toISOString(),
      chainId: tx.chainId,
      ...r,
    });
    // Out of `success` to anything else, its nonce is used for the first time: its sender has room again.
    // (A look delivered twice may wake twice: the second waiter then finds no room and waits again.)
    if (tx.status === 'success' && r.status !== 'success' && deps.wake) {
      await deps.wake(tx.chainId, tx.from, line).catch((error: unknown) => {
        log.warn('could not wake a transaction waiting for a signer; the sweep will', { error });
      });
    }
    log.info('tracked', { status: r.status, txHash: r.txHash, next });
    return { action: 'reported', status: r.status, next };
  };

  let receipt: Receipt | undefined;
  try {
    for (const hash of hashes) {
      const seen = await readReceipt(client, hash);
      if (typeof seen === 'object') {
        receipt = seen;
        break;
      }
    }
  } catch (error) {
    // A node that does not answer decides nothing: look again.
    log.warn('the chain did not answer; looking again', { error });
    await again(misses);
    return { action: 'waiting', misses };
  }

  if (receipt) {
    const found = receipt;
    const mined = tx.hashes?.find((h) => h.txHash === found.txHash);
    const canceled = mined?.kind === 'cancel';
    if (await atDepth(client, receipt, depth)) {
      if (canceled) {
        return report(
          {
            status: 'failed',
            canceled: true,
            receipt,
            txHash: receipt.txHash,
            error: 'canceled',
            message: `Canceled: its nonce was used by its cancel (a zero-value transfer to the sender), in block ${receipt.blockNumber} with ${receipt.confirmations} confirmations; the request had no effect.`,
          },
          false,
        );
      }
      const status = receipt.status === 'success' ? 'confirmed' : 'reverted';
      const reason = status === 'reverted' ? await readRevertReason(client, receipt.txHash as Hash) : undefined;
      const what = status === 'confirmed' ? 'it succeeded' : `its execution reverted${reason ? `: ${reason}` : ''}`;
      return report(
        {
          status,
          receipt: reason ? { ...receipt, revertReason: reason } : receipt,
          txHash: receipt.txHash,
          message: `${status === 'confirmed' ? 'Confirmed' : 'Reverted'}: in block ${receipt.blockNumber} with ${receipt.confirmations} confirmations, ${what}.`,
        },
        false,
      );
    }
    if (tx.status === 'success' || tx.receipt?.blockHash !== receipt.blockHash) {
      return report(
        {
          status: 'mined',
          receipt,
          txHash: receipt.txHash,
          message: `Mined${canceled ? ' (its cancel)' : ''} in block ${receipt.blockNumber}; ${depth === 'finalized' ? `${receipt.confirmations} confirmations, not yet finalized` : `${receipt.confirmations} of ${depth} confirmations`}.`,
        },
        true,
      );
    }
    await again(0);
    return { action: 'waiting', misses: 0 };
  }

  // No receipt for any of its signatures: once is no answer; twice in a row, it is so.
  if (misses + 1 < missesToDecide) {
    await again(misses + 1);
    return { action: 'waiting', misses: misses + 1 };
  }
  const rawTx = tx.rawTx as Hex | undefined;
  if (tx.status === 'mined') {
    if (rawTx) await resendRaw(client, rawTx);
    return report(
      {
        status: 'success',
        reorged: true,
        ...(tx.receipt ? { blockNumber: tx.receipt.blockNumber, blockHash: tx.receipt.blockHash } : {}),
        // Out of a block, it is its latest signature again, the one sent again.
        txHash: hashes[0] ?? tx.txHash,
        message: `Block ${tx.receipt?.blockNumber ?? '?'} that held it is no longer on the chain (a reorg); its bytes were sent again and it is followed again.`,
      },
      true,
    );
  }
  try {
    const from = tx.from as Hex | undefined;
    const mined = from ? await client.getTransactionCount({ address: from, blockTag: 'latest' }) : 0;
    const nonceUsed = tx.nonce !== undefined && mined > tx.nonce;
    if (nonceUsed && (await anyMined(client, hashes))) {
      // One of its signatures is in a block after all (mined since the receipts were read): the next look reads it.
      await again(misses);
      return { action: 'waiting', misses };
    }
    if (nonceUsed && !message.nonceTaken) {
      // One node's answer decides nothing (behind a balancer, two backends may disagree): look once more.
      await again(misses, true);
      return { action: 'waiting', misses };
    }
    if (nonceUsed) {
      // Its nonce is used and none of its signatures is in a block, on two looks in a row after two
      // without a receipt: another transaction took it.
      return report(
        {
          status: 'failed',
          tracked: true,
          error: `nonce ${tx.nonce} was used by another transaction`,
          message: `Failed: nonce ${tx.nonce} was mined by a transaction that is none of its ${hashes.length} signatures.`,
        },
        false,
      );
    }
    // Not mined, and its nonce is still open: if the node no longer holds it (dropped), send it again.
    const latest = hashes[0];
    const pooled = latest ? await client.request({ method: 'eth_getTransactionByHash', params: [latest] }) : null;
    // Asked to cancel it (or past validUntil) with no cancel signed yet: the original is never sent again.
    const cancelWanted = awaitsCancel(tx, deps.now());
    const resend = !pooled && rawTx !== undefined && !cancelWanted;
    if (resend) {
      const sent = await resendRaw(client, rawTx);
      log.warn('not in the pool any more; sent again', { txHash: latest, outcome: sent.outcome });
    }
    if (tx.status === 'success') {
      const decision = await askToReplace(deps, client, tx, mined);
      if (decision.action === 'asked') log.info(`asked the broadcaster to ${decision.phase}`, { txHash: latest });
      if (decision.action === 'stuck') {
        // The line and the metric are for an alarm: it waits at the cap, re-sent, and holds up its sender.
        log.warn('stuck at the fee cap', { txHash: latest, reason: decision.reason, chainId: tx.chainId });
        // Kept in the pool, so it is mined the moment the market falls under its fees.
        if (!resend && !cancelWanted && rawTx) await resendRaw(client, rawTx);
        deps.metrics.stuck(tx.chainId);
        if (!tx.stuck) {
          // Flagged once; the updater hands the tracking on with it.
          return report(
            {
              status: 'success',
              stuck: decision.reason,
              message: `Stuck at the fee cap: ${decision.reason}. Re-sent each block; it is mined once the market falls under its fees.`,
            },
            true,
          );
        }
      }
    }
  } catch (error) {
    log.warn('the chain did not answer; looking again', { error });
  }
  await again(misses);
  return { action: 'waiting', misses };
}

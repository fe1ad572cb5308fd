import type { CancelRequest, SignatureKind, TransactionView } from '../../functions/lib/transactions/model.ts';
import type { Status } from '../../functions/lib/transactions/status.ts';

// This record must name every status, or it does not compile: a status the model gains must be decided on here.
const cancelableStatus: Record<Status, boolean> = {
  pending: true,
  retrying: true,
  success: true,
  mined: false,
  confirmed: false,
  reverted: false,
  failed: false,
};

/**
 * Whether the page offers Cancel: not yet in a block (once mined, the original's outcome stands) and
 * not failed. `POST /transactions/{id}/cancel` decides; this only keeps a button off where it cannot work.
 */
export function isCancelable(status: Status): boolean {
  return cancelableStatus[status];
}

/** A signature's kind in words; an older record's signature, without one, is the original. */
export const kindLabel: Record<SignatureKind, string> = {
  original: 'original',
  reprice: 're-priced',
  cancel: 'cancel',
};

/** Why a cancel was asked for, in words. */
export const cancelReason: Record<CancelRequest['reason'], string> = {
  requested: 'asked for',
  expired: 'its valid-until time passed unmined',
};

/** Canceled: it ended failed, with a cancel asked for, and its last history entry says it was canceled. */
export function isCanceled(tx: TransactionView): boolean {
  return tx.status === 'failed' && tx.cancel !== null && (tx.history.at(-1)?.error?.startsWith('canceled') ?? false);
}

/** What became of an asked-for cancel, in words: the status and receipt say it, this reads them. */
export function cancelOutcome(tx: TransactionView): string {
  if (isCanceled(tx)) return 'canceled; it ends failed and will not be sent again';
  const mined = tx.receipt?.txHash;
  if (mined) {
    return tx.hashes.some((h) => h.kind === 'cancel' && h.txHash === mined)
      ? 'the cancel transfer is in a block'
      : 'too late, the original was mined first and its outcome stands';
  }
  if (tx.status === 'failed') return 'it failed for another reason (see the timeline)';
  return 'on its way, a zero-value replacement signed or asked for';
}

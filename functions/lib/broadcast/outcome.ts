import type { ClassifiedRpcError } from '../chain/classifyRpcError.ts';
import type { ResponseMessage } from '../transactions/messages.ts';
import type { Transaction } from '../transactions/model.ts';

/** What a phase of the broadcaster decided for one transaction; the decision table adds the id, attempt and time. */
export type Outcome = Omit<ResponseMessage, 'id' | 'attempt' | 'at'>;

/** The node has (or had) these bytes. */
export function succeeded(txHash: string, message: string): Outcome {
  return { status: 'success', message, txHash };
}

/** Failed for good after `attempt` attempts, for the reason the node (or the signer) gave. */
export function failed(c: ClassifiedRpcError, attempt: number): Outcome {
  const attempts = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
  return { status: 'failed', message: `Failed after ${attempts}: ${c.reason}.`, error: c.reason };
}

/** The error of the latest recorded attempt, for a transaction whose attempts are spent. */
export function lastError(tx: Transaction): ClassifiedRpcError {
  const reason = tx.history.findLast((h) => h.error)?.error ?? 'every attempt failed';
  return { class: 'transient', label: 'attempts spent', reason };
}

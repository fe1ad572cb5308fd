import type { Hex } from 'viem';
import type { BroadcastMessage, BroadcastPhase, ReplacePhase, ResponseMessage } from '../transactions/messages.ts';
import { isExpired } from '../transactions/model.ts';
import type { BroadcastDeps } from './BroadcastDeps.ts';
import { failed, lastError, type Outcome } from './outcome.ts';
import { type Claim, claimOrLoad } from './phases/claimOrLoad.ts';
import { failUnsigned } from './phases/failUnsigned.ts';
import { replaceLatest } from './phases/replaceLatest.ts';
import { retryUnsent, scheduleNext } from './phases/scheduleNext.ts';
import { sendSigned } from './phases/sendSigned.ts';
import { settleSpent } from './phases/settleSpent.ts';
import { signOnce } from './phases/signOnce.ts';
import { waitForSigner } from './phases/waitForSigner.ts';

type Open = Exclude<Claim, { state: 'gone' }>;
/** The phases that start from a claim: sign, send, settle; a re-price or a cancel starts from the record. */
type SignPhase = Exclude<BroadcastPhase, ReplacePhase>;
/** A step's outcome, or `waiting`: it waits for a signer with room, and reports nothing (it stays pending). */
type Step<C extends Open> = (
  deps: BroadcastDeps,
  claim: C,
  attempt: number,
  unsentSince?: number,
) => Promise<Outcome | 'waiting'>;
type Of<S extends Open['state']> = Extract<Open, { state: S }>;

/**
 * An unsigned transaction, in the broadcast phase: sign it once, then send it, or end or retry what failed.
 * A transient failure here sent nothing: it is retried as the same attempt within the pre-send budget
 * (from `unsentSince`, the message's or the row's, else this failure), then fails with the reason; a
 * permanent one fails at once.
 */
const signThenSend: Step<Of<'unsigned'>> = async (deps, { tx, token }, attempt, unsentSince) => {
  if (isExpired(tx, deps.now())) {
    // Past validUntil and never signed: it is canceled by never being signed.
    const reason = `canceled: not sent by validUntil ${tx.validUntil}`;
    return failUnsigned(deps, tx, token, { class: 'permanent', label: 'expired', reason }, attempt);
  }
  const result = await signOnce(deps, tx, token);
  if ('signed' in result) return sendSigned(deps, tx, attempt, result.signed);
  if ('waiting' in result) {
    await waitForSigner(deps, tx, token, attempt, result);
    return 'waiting';
  }
  // The retry's message says since when; the sweep's and a wake's do not, and the row does.
  const since = unsentSince ?? tx.unsentSince ?? deps.now().getTime();
  const budgetMs = deps.settings.preSendBudgetMs;
  if (result.error.class === 'permanent' || deps.now().getTime() - since >= budgetMs) {
    // A nonce taken by this attempt (and its sender) is on the record now, not yet on the copy loaded before it.
    const taken = result.nonce === undefined ? {} : { nonce: result.nonce, from: result.from ?? tx.from };
    const error =
      result.error.class === 'permanent'
        ? result.error
        : { ...result.error, reason: `nothing sent in ${budgetMs / 1000} s of trying: ${result.error.reason}` };
    return failUnsigned(deps, { ...tx, ...taken }, token, error, attempt);
  }
  // Nothing was signed: let the claim go so the next try need not wait for it to expire.
  await deps.transactions.releaseClaim(tx.id, token);
  return retryUnsent(deps, tx, attempt, result.error, since);
};

/**
 * A signed transaction the node has not been heard to take: its stored bytes are sent, unless
 * `validUntil` has passed or a cancel was asked for: then its cancel is signed and sent in their place,
 * and the original is never sent again. When no cancel can be signed (the fee cap, a full record) the
 * attempt sends nothing and is retried; spent, it is settled (the filler takes the nonce).
 */
const sendOrCancel: Step<Of<'signed'>> = async (deps, { tx, signed }, attempt) => {
  if (!isExpired(tx, deps.now()) && tx.cancel === undefined) return sendSigned(deps, tx, attempt, signed);
  const canceled = await replaceLatest(deps, tx.id, 'cancel', undefined);
  if ('outcome' in canceled) return canceled.outcome;
  const now = (await deps.transactions.get(tx.id)) ?? tx;
  const latest = now.hashes?.at(-1);
  if (latest?.kind === 'cancel' && now.rawTx) {
    // A cancel stored but not taken by the node is what this attempt sends.
    return sendSigned(deps, now, attempt, { ...signed, rawTx: now.rawTx as Hex, txHash: latest.txHash as Hex });
  }
  const why = `${tx.cancel ? 'a cancel was asked for' : `validUntil ${tx.validUntil} passed`} and no cancel could be signed (${canceled.skipped})`;
  return scheduleNext(deps, now, attempt, { class: 'transient', label: 'cancel', reason: why }, signed);
};

/** It failed before it was signed, and the failed report may have been lost: report it again. */
const reportClosed: Step<Of<'closed'>> = async (_deps, { reason }, attempt) =>
  failed({ class: 'permanent', label: 'failed', reason }, attempt);

/**
 * The decision table: where the transaction stands (from `claimOrLoad`) and the phase the message
 * asks for choose the step. A signed transaction is only ever sent again as the bytes stored; a spent
 * one is only settled, never sent.
 */
const steps: { [S in Open['state']]: Record<SignPhase, Step<Of<S>>> } = {
  closed: { broadcast: reportClosed, settle: reportClosed },
  unsigned: {
    broadcast: signThenSend,
    settle: (deps, { tx, token }, attempt) => failUnsigned(deps, tx, token, lastError(tx), attempt),
  },
  signed: {
    broadcast: sendOrCancel,
    settle: (deps, { tx, signed }, attempt) => settleSpent(deps, tx, attempt, lastError(tx), signed),
  },
};

/** The step for a claim and a phase, with the claim's type kept. */
function runStep(
  deps: BroadcastDeps,
  claim: Open,
  phase: SignPhase,
  attempt: number,
  unsentSince: number | undefined,
): Promise<Outcome | 'waiting'> {
  switch (claim.state) {
    case 'closed':
      return steps.closed[phase](deps, claim, attempt);
    case 'unsigned':
      return steps.unsigned[phase](deps, claim, attempt, unsentSince);
    case 'signed':
      return steps.signed[phase](deps, claim, attempt);
  }
}

/**
 * Runs one phase for one transaction (broadcast: sign once, with the nonce from the counter and the
 * bytes stored before they are sent, then send; settle: decide a spent one), and reports the outcome
 * to the responses queue; the steps schedule the next attempt on the retry queue when one is left.
 */
export async function broadcastTransaction(
  deps: BroadcastDeps,
  message: BroadcastMessage,
): Promise<ResponseMessage | undefined> {
  const { id } = message;
  const { maxAttempts } = deps.settings;
  // A message from before phases were explicit says "settle" by an attempt past the last; never send for it.
  const phase: BroadcastPhase = message.attempt > maxAttempts ? 'settle' : (message.phase ?? 'broadcast');
  // Settling is not an attempt: the count reported never exceeds the attempts made.
  const attempt = Math.min(message.attempt, maxAttempts);
  const log = deps.logger.createChild({ persistentKeys: { transactionId: id, attempt, phase } });
  if (phase === 'reprice' || phase === 'cancel') {
    const replaced = await replaceLatest(deps, id, phase, message.replaces);
    if ('skipped' in replaced) {
      log.info('nothing replaced', { why: replaced.skipped });
      return undefined;
    }
    const response: ResponseMessage = {
      id,
      attempt,
      at: deps.now().toISOString(),
      chainId: replaced.chainId,
      ...replaced.outcome,
    };
    await deps.responses.send(response);
    return response;
  }
  const claim = await claimOrLoad(deps, id);
  if (claim.state === 'gone') {
    log.warn('no open transaction with this id; message dropped', { reason: claim.reason });
    return undefined;
  }
  const outcome = await runStep(deps, claim, phase, attempt, message.unsentSince);
  if (outcome === 'waiting') return undefined;
  const chainId = claim.state === 'closed' ? {} : { chainId: claim.tx.chainId };
  const response: ResponseMessage = { id, attempt, at: deps.now().toISOString(), ...chainId, ...outcome };
  await deps.responses.send(response);
  log.info('attempt finished', { status: response.status, txHash: response.txHash, error: response.error });
  return response;
}

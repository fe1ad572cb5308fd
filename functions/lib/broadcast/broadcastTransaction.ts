import { randomUUID } from 'node:crypto';
import { type Hex, keccak256 } from 'viem';
import type { ChainClient } from '../chain/ChainRegistry.ts';
import { type ClassifiedRpcError, classifyRpcError } from '../chain/classifyRpcError.ts';
import { findTransaction, landed, type Sighting } from '../chain/findTransaction.ts';
import { isTransient, SigningInProgressError, UnknownChainError } from '../errors/errors.ts';
import type { BroadcastMessage, ResponseMessage } from '../transactions/messages.ts';
import { isTerminal, type Transaction } from '../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from './BroadcastDeps.ts';
import { backoffDelay } from './backoffDelay.ts';
import { type FillResult, fillNonce } from './fillNonce.ts';

type Outcome = Omit<ResponseMessage, 'id' | 'attempt' | 'at'>;

/**
 * Broadcasts one transaction for one attempt: signs it once (nonce from the counter, bytes stored
 * before they are sent), sends the stored bytes, and reports the outcome to the responses queue,
 * scheduling the next attempt on the retry queue when one is left.
 */
export async function broadcastTransaction(
  deps: BroadcastDeps,
  message: BroadcastMessage,
): Promise<ResponseMessage | undefined> {
  const { id, attempt } = message;
  const log = deps.logger.createChild({ persistentKeys: { transactionId: id, attempt } });
  const signed = await claimOrLoad(deps, id);
  if (signed.state === 'gone') {
    log.warn('no open transaction with this id; message dropped', { reason: signed.reason });
    return undefined;
  }

  const { maxAttempts } = deps.settings;
  let outcome: Outcome;
  if (signed.state === 'closed') {
    // It failed before it was signed; the failed report may have been lost: send it again.
    outcome = failed({ class: 'permanent', label: 'failed', reason: signed.reason }, Math.min(attempt, maxAttempts));
  } else if (signed.state === 'signed') {
    // Every attempt spent: only settle what the last one left open, never send again.
    outcome =
      attempt > maxAttempts
        ? await settle(deps, signed.tx, maxAttempts, lastError(signed.tx), signed.signed)
        : await send(deps, signed.tx, attempt, signed.signed);
  } else if (attempt > maxAttempts) {
    outcome = await failUnsigned(deps, signed.tx, signed.token, lastError(signed.tx), maxAttempts);
  } else {
    const result = await signOnce(deps, signed.tx, signed.token);
    if ('signed' in result) outcome = await send(deps, signed.tx, attempt, result.signed);
    else if (result.error.class === 'permanent' || attempt >= maxAttempts)
      // A nonce taken by this attempt is on the record now, not yet on the copy loaded before it.
      outcome = await failUnsigned(
        deps,
        { ...signed.tx, nonce: result.nonce ?? signed.tx.nonce },
        signed.token,
        result.error,
        attempt,
      );
    else {
      // Nothing was signed: let the claim go so the next attempt need not wait for it to expire.
      await deps.transactions.releaseClaim(signed.tx.id, signed.token);
      outcome = await retryOrFail(deps, signed.tx, attempt, result.error, undefined);
    }
  }

  // Settling is not an attempt: the count reported never exceeds the attempts made.
  const response: ResponseMessage = {
    id,
    attempt: Math.min(attempt, maxAttempts),
    at: deps.now().toISOString(),
    ...outcome,
  };
  await deps.responses.send(response);
  log.info('attempt finished', { status: response.status, txHash: response.txHash, error: response.error });
  return response;
}

type Claim =
  | { state: 'gone'; reason: string }
  | { state: 'closed'; reason: string }
  | { state: 'unsigned'; tx: Transaction; token: string }
  | { state: 'signed'; tx: Transaction; signed: SignedTransaction };

/** Claims an unsigned transaction for signing, or loads the bytes signed earlier. */
async function claimOrLoad(deps: BroadcastDeps, id: string): Promise<Claim> {
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
  if (isTerminal(tx.status)) return { state: 'gone', reason: `already ${tx.status}` };
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

/** Signed and stored, or an error to act on: with the nonce it had taken (and reserved), if any. */
type SignResult = { signed: SignedTransaction } | { error: ClassifiedRpcError; nonce?: number };

/**
 * Prices, signs and stores the transaction once. Chain errors before the nonce is taken, and
 * transient signing errors after it (with that nonce), are returned.
 */
async function signOnce(deps: BroadcastDeps, tx: Transaction, token: string): Promise<SignResult> {
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
      { chainId: tx.chainId, from, nonce, rawTx, txHash, gas: gas.toString() },
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Ends a transaction that was never signed. The fence set with the claim still held means no
 * duplicate delivery can sign it afterwards; a nonce reserved for it is filled.
 */
async function failUnsigned(
  deps: BroadcastDeps,
  tx: Transaction,
  token: string,
  c: ClassifiedRpcError,
  attempt: number,
): Promise<Outcome> {
  if (!(await deps.transactions.closeUnsigned(tx.id, token, c.reason))) throw new SigningInProgressError(tx.id);
  if (tx.nonce === undefined) return failed(c, attempt);
  const client = deps.chains.client(tx.chainId);
  const fill = await fillNonce(deps, client, {
    chainId: tx.chainId,
    nonce: tx.nonce,
    reason: `transaction ${tx.id} failed before it was signed: ${c.reason}`,
    forId: tx.id,
  }).catch(() => undefined);
  return fill ? { ...failed(c, attempt), filledBy: fill.filler.txHash } : failed(c, attempt);
}

/** Sends the stored bytes and decides what the node's answer means. */
async function send(
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
        const seen = await findTransaction(client, signed.txHash);
        if (landed(seen))
          return succeeded(signed.txHash, `Broadcast: ${signed.txHash} is already on chain or in the pool.`);
        // A node that cannot tell us about our own hash decides nothing: try again, or settle later.
        if (seen === 'unreachable') return retryOrFail(deps, tx, attempt, { ...c, class: 'transient' }, signed, seen);
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
        const seen = await findTransaction(client, signed.txHash);
        if (landed(seen)) return succeeded(signed.txHash, `Broadcast: the node knows ${signed.txHash}.`);
        return retryOrFail(deps, tx, attempt, c, signed, seen);
      }
      case 'transient':
        return retryOrFail(deps, tx, attempt, c, signed);
      case 'permanent':
        return failAndFill(deps, client, tx, attempt, c, signed);
    }
  }
}

/**
 * Schedules the next attempt with backoff, or after the last one decides between success and failure
 * (with what the node was just seen to know of our hash, when it was asked already).
 */
async function retryOrFail(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction | undefined,
  seen?: Sighting,
): Promise<Outcome> {
  const { maxAttempts, retryBaseSeconds, retryCapSeconds } = deps.settings;
  if (attempt < maxAttempts) {
    const delay = backoffDelay(attempt, retryBaseSeconds, retryCapSeconds, deps.random);
    await deps.retryQueue.send({ id: tx.id, attempt: attempt + 1 }, delay);
    return {
      status: 'retrying',
      message: `Attempt ${attempt} of ${maxAttempts} failed (${c.label}: ${c.reason}); retrying in about ${delay} s.`,
      error: c.reason,
      nextAttemptAt: new Date(deps.now().getTime() + delay * 1000).toISOString(),
    };
  }
  if (!signed) return failed(c, attempt);
  return settle(deps, tx, attempt, c, signed, seen);
}

/** The error of the latest recorded attempt, for a transaction whose attempts are spent. */
function lastError(tx: Transaction): ClassifiedRpcError {
  const reason = tx.history.findLast((h) => h.error)?.error ?? 'every attempt failed';
  return { class: 'transient', label: 'attempts spent', reason };
}

/**
 * Decides a signed transaction whose attempts are spent, without ever calling failed what may
 * still land: our hash known means success; otherwise the nonce is filled with a higher-priced
 * filler, and only a node that answered (it does not know our hash, or took the filler) lets us
 * call it failed. A node that answers nothing leaves it open, to be settled again later.
 */
async function settle(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction,
  sighting?: Sighting,
): Promise<Outcome> {
  const client = deps.chains.client(tx.chainId);
  const seen = sighting ?? (await findTransaction(client, signed.txHash));
  if (landed(seen)) {
    return succeeded(signed.txHash, `Broadcast: after ${attempt} attempts the node reports ${signed.txHash} as known.`);
  }
  if (seen === 'unseen') return failAndFill(deps, client, tx, attempt, c, signed);
  const fill = await fillNonce(deps, client, fillParams(tx, c, signed));
  if (fill.outcome !== 'later') return failAndFill(deps, client, tx, attempt, c, signed, fill);
  return settleLater(deps, tx, attempt, c, signed);
}

/** Leaves a spent transaction open and asks for another settling check after a backoff. */
async function settleLater(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction,
): Promise<Outcome> {
  const { retryBaseSeconds, retryCapSeconds, maxAttempts } = deps.settings;
  const delay = Math.max(1, backoffDelay(attempt, retryBaseSeconds, retryCapSeconds, deps.random));
  await deps.retryQueue.send({ id: tx.id, attempt: maxAttempts + 1 }, delay);
  return {
    status: 'retrying',
    message: `All ${attempt} attempts failed (${c.reason}) and the node cannot be reached to tell whether ${signed.txHash} landed; nonce ${signed.nonce} is being settled before this is called failed.`,
    error: c.reason,
    nextAttemptAt: new Date(deps.now().getTime() + delay * 1000).toISOString(),
  };
}

function fillParams(tx: Transaction, c: ClassifiedRpcError, signed: SignedTransaction) {
  return {
    chainId: tx.chainId,
    nonce: signed.nonce,
    reason: `transaction ${tx.id} failed: ${c.reason}`,
    forId: tx.id,
    replacing: signed.rawTx,
  };
}

/** Fails a signed transaction and fills its nonce, unless the filler shows our bytes got there first. */
async function failAndFill(
  deps: BroadcastDeps,
  client: ChainClient,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction,
  filled?: FillResult,
): Promise<Outcome> {
  const fill = filled ?? (await fillNonce(deps, client, fillParams(tx, c, signed)));
  if (fill.outcome === 'taken') {
    // Something holds the nonce: ours, or someone else's. Only the node can say which.
    const seen = await findTransaction(client, signed.txHash);
    if (landed(seen)) {
      return succeeded(
        signed.txHash,
        `Broadcast: ${signed.txHash} reached the chain before its nonce could be filled.`,
      );
    }
    if (seen === 'unreachable') return settleLater(deps, tx, attempt, c, signed);
  }
  const note =
    fill.outcome === 'later'
      ? ` Nonce ${signed.nonce} will be filled by ${fill.filler.txHash} (the sweep re-sends it).`
      : ` Nonce ${signed.nonce} was filled by ${fill.filler.txHash}.`;
  return { ...failed(c, attempt), message: `${failed(c, attempt).message}${note}`, filledBy: fill.filler.txHash };
}

function succeeded(txHash: Hex, message: string): Outcome {
  return { status: 'success', message, txHash };
}

function failed(c: ClassifiedRpcError, attempt: number): Outcome {
  const attempts = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
  return { status: 'failed', message: `Failed after ${attempts}: ${c.reason}.`, error: c.reason };
}

import { randomUUID } from 'node:crypto';
import { type Hex, keccak256 } from 'viem';
import { type ChainClient, UnknownChainError } from '../chain/ChainRegistry.ts';
import { type ClassifiedRpcError, classifyRpcError } from '../chain/classifyRpcError.ts';
import { findTransaction } from '../chain/findTransaction.ts';
import { AppError } from '../errors/AppError.ts';
import type { BroadcastMessage, ResponseMessage } from '../transactions/messages.ts';
import { isTerminal, type Transaction } from '../transactions/model.ts';
import type { BroadcastDeps, SignedTransaction } from './BroadcastDeps.ts';
import { backoffDelay } from './backoffDelay.ts';
import { type FillResult, fillNonce } from './fillNonce.ts';

/** Another worker holds the signing claim; the message comes back after its visibility timeout. */
export class SigningInProgressError extends AppError {
  override name = 'SigningInProgressError';
  readonly id: string;

  constructor(id: string) {
    super('signing_in_progress', `transaction ${id} is being signed by another worker`);
    this.id = id;
  }
}

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
  if (attempt > maxAttempts) {
    // Every attempt is spent: only settle what the last one left open, never send again.
    outcome =
      signed.state === 'signed'
        ? await settle(deps, signed.tx, maxAttempts, lastError(signed.tx), signed.signed)
        : failed(lastError(signed.tx), maxAttempts);
  } else if (signed.state === 'unsigned') {
    const result = await signOnce(deps, signed.tx, signed.token);
    if ('error' in result) {
      // Nothing was signed, so no nonce is held: a permanent error ends it, a transient one is retried,
      // and the claim is let go so that the next attempt need not wait for it to expire.
      await deps.transactions.releaseClaim(signed.tx.id, signed.token);
      outcome =
        result.error.class === 'permanent'
          ? failed(result.error, attempt)
          : await retryOrFail(deps, signed.tx, attempt, result.error, undefined);
    } else {
      outcome = await send(deps, signed.tx, attempt, result.signed);
    }
  } else {
    outcome = await send(deps, signed.tx, attempt, signed.signed);
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
  if (tx.rawTx && tx.txHash && tx.nonce !== undefined && tx.from) {
    return {
      state: 'signed',
      tx,
      signed: { rawTx: tx.rawTx as Hex, txHash: tx.txHash as Hex, nonce: tx.nonce, from: tx.from },
    };
  }
  throw new SigningInProgressError(id);
}

type SignResult = { signed: SignedTransaction } | { error: ClassifiedRpcError };

/** Prices, signs and stores the transaction once. Chain errors before the nonce is taken are returned. */
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
    return { error: classifyRpcError(error, deps.settings.rpcErrorRules) };
  }
  let nonce: number;
  try {
    nonce = await deps.nonces.allocate(
      tx.chainId,
      from,
      () => client.getTransactionCount({ address: from, blockTag: 'pending' }),
      deps.now().getTime(),
    );
  } catch (error) {
    const c = classifyRpcError(error, deps.settings.rpcErrorRules);
    if (c.class === 'unknown') throw error;
    return { error: c };
  }
  const rawTx = await deps.signer.signTransaction({
    chainId: tx.chainId,
    type: 'eip1559',
    ...request,
    gas,
    nonce,
    ...fees,
  });
  const txHash = keccak256(rawTx);
  const saved = await deps.transactions.saveSignature(
    tx.id,
    token,
    { chainId: tx.chainId, from, nonce, rawTx, txHash, gas: gas.toString() },
    deps.now(),
  );
  // A lost claim leaves this nonce unused; the sweep's gap filler takes care of it.
  if (!saved) throw new SigningInProgressError(tx.id);
  return { signed: { rawTx, txHash, nonce, from } };
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
    const c = classifyRpcError(error, deps.settings.rpcErrorRules);
    switch (c.class) {
      case 'known':
        return succeeded(signed.txHash, `Broadcast: the node already had ${signed.txHash}.`);
      case 'nonceUsed': {
        if (await isOurs(client, signed.txHash))
          return succeeded(signed.txHash, `Broadcast: ${signed.txHash} is already on chain or in the pool.`);
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
      case 'unknown':
        if (await isOurs(client, signed.txHash))
          return succeeded(signed.txHash, `Broadcast: the node knows ${signed.txHash}.`);
        return retryOrFail(deps, tx, attempt, c, signed);
      case 'transient':
        return retryOrFail(deps, tx, attempt, c, signed);
      case 'permanent':
        return failAndFill(deps, client, tx, attempt, c, signed);
    }
  }
}

async function isOurs(client: ChainClient, hash: Hex): Promise<boolean> {
  const seen = await findTransaction(client, hash);
  return seen === 'mined' || seen === 'pooled';
}

/** Schedules the next attempt with backoff, or after the last one decides between success and failure. */
async function retryOrFail(
  deps: BroadcastDeps,
  tx: Transaction,
  attempt: number,
  c: ClassifiedRpcError,
  signed: SignedTransaction | undefined,
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
  return settle(deps, tx, attempt, c, signed);
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
): Promise<Outcome> {
  const client = deps.chains.client(tx.chainId);
  const seen = await findTransaction(client, signed.txHash);
  if (seen === 'mined' || seen === 'pooled') {
    return succeeded(signed.txHash, `Broadcast: after ${attempt} attempts the node reports ${signed.txHash} as known.`);
  }
  if (seen === 'unseen') return failAndFill(deps, client, tx, attempt, c, signed);
  const fill = await fillNonce(deps, client, fillParams(tx, c, signed));
  if (fill.outcome !== 'later') return failAndFill(deps, client, tx, attempt, c, signed, fill);
  const delay = Math.max(
    1,
    backoffDelay(attempt, deps.settings.retryBaseSeconds, deps.settings.retryCapSeconds, deps.random),
  );
  await deps.retryQueue.send({ id: tx.id, attempt: deps.settings.maxAttempts + 1 }, delay);
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
  if (fill.outcome === 'taken' && (await isOurs(client, signed.txHash))) {
    return succeeded(signed.txHash, `Broadcast: ${signed.txHash} reached the chain before its nonce could be filled.`);
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

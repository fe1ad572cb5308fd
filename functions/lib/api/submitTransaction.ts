import { type Hex, isAddressEqual } from 'viem';
import type { Caller } from '../auth/Caller.ts';
import { IdempotencyConflictError, ValidationError } from '../errors/errors.ts';
import { fromZodError } from '../errors/fromZodError.ts';
import type { SpendGuard } from '../signers/spendGuard.ts';
import type { IdempotencyStore } from '../store/IdempotencyStore.ts';
import {
  maxValidityMs,
  type NormalizedRequest,
  normalizeRequest,
  transactionRequestSchema,
} from '../transactions/requestSchema.ts';
import { resolveCallbackUrl, type UrlPolicy, UrlRefusedError } from '../webhooks/checkCallbackUrl.ts';
import { hashRequest } from './hashRequest.ts';
import { type RecordDeps, type Recorded, recordTransaction } from './recordTransaction.ts';

export type SubmitDeps = RecordDeps & {
  idempotency: IdempotencyStore;
  chainIds: number[];
  defaultChainId: number;
  /** The addresses of the signer pool: a request's `from` must be one of them. */
  signerAddresses: () => Promise<readonly string[]>;
  /** Webhooks: whether a secret is there to sign with, where a callback URL may point, each client's default URL. */
  callbacks: { ready: () => Promise<boolean>; policy: UrlPolicy; defaults: Readonly<Record<string, string>> };
  /** The balance guard (none: nothing is refused for its cost). */
  guard?: Pick<SpendGuard, 'reserve'> | undefined;
  newId: () => string;
};

/** The transaction a request names, and whether an earlier request with the same key created it. */
export type Submitted = Recorded;

/** Validates a body down to the canonical request; every refusal is a ValidationError naming its fields. */
async function validate(deps: SubmitDeps, body: unknown): Promise<NormalizedRequest> {
  const parsed = transactionRequestSchema.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error, 'the transaction request');
  const request = normalizeRequest(parsed.data, deps.defaultChainId);
  if (!deps.chainIds.includes(request.chainId)) {
    throw new ValidationError(`chainId ${request.chainId} is not a configured chain`, [
      { path: 'chainId', message: `must be one of ${deps.chainIds.join(', ')}` },
    ]);
  }
  if (request.from !== undefined) {
    const pool = await deps.signerAddresses();
    const from = request.from as Hex;
    if (!pool.some((a) => isAddressEqual(a as Hex, from))) {
      throw new ValidationError(`from ${request.from} is not a signer of this deployment`, [
        { path: 'from', message: `must be one of ${pool.join(', ')}` },
      ]);
    }
  }
  if (request.callbackUrl !== undefined) await checkCallback(deps, request.callbackUrl);
  return request;
}

/** A callback URL webhooks may go to, or a ValidationError naming `callbackUrl` and why not. */
async function checkCallback(deps: SubmitDeps, callbackUrl: string): Promise<void> {
  const refuse = (message: string) =>
    ValidationError.naming('callbackUrl cannot be used', [{ path: 'callbackUrl', message }]);
  if (!(await deps.callbacks.ready())) {
    throw refuse('webhooks are not configured on this deployment (no webhook secret to sign with)');
  }
  try {
    await resolveCallbackUrl(new URL(callbackUrl), deps.callbacks.policy);
  } catch (error) {
    if (error instanceof UrlRefusedError) throw refuse(error.message);
    throw error;
  }
}

/** A `validUntil` a new transaction cannot be accepted with: not after `now`, or more than 30 days ahead. */
function validUntilProblem(request: NormalizedRequest, now: Date): ValidationError | undefined {
  if (request.validUntil === undefined) return undefined;
  const until = Date.parse(request.validUntil);
  if (until > now.getTime() && until <= now.getTime() + maxValidityMs) return undefined;
  return ValidationError.naming('validUntil is not in the next 30 days', [
    { path: 'validUntil', message: `must be after ${now.toISOString()} and within 30 days of it` },
  ]);
}

/**
 * Validates a request, records it `pending` (the point from which it is never lost), and enqueues
 * it (`recordTransaction`).
 *
 * With an `Idempotency-Key`, the key is bound first to a hash of the canonical request and to the new
 * transaction's id; every repeat reads that id back, so concurrent repeats all name one transaction,
 * and whichever of them first creates it enqueues it. A repeat also heals a first call that died
 * between binding the key and recording the transaction.
 */
export async function submitTransaction(
  deps: SubmitDeps,
  body: unknown,
  caller: Caller,
  idempotencyKey?: string,
): Promise<Submitted> {
  const now = deps.now();
  const request = await validate(deps, body);
  let id = deps.newId();
  // Keys are the client's own, whichever of its tokens sends them (a rotation keeps them); another
  // client's identical key is another request. Nothing derived from a token is stored.
  const scoped = `${caller.client}:${idempotencyKey}`;
  const late = validUntilProblem(request, now);
  if (late) {
    // A repeat of a request accepted while its validUntil lay ahead gets what that request made.
    const bound = idempotencyKey === undefined ? undefined : await deps.idempotency.find(scoped, now.getTime());
    const existing = bound?.requestHash === hashRequest(request) && (await deps.transactions.get(bound.transactionId));
    if (existing) return { tx: existing, replayed: true };
    throw late;
  }
  const hash = idempotencyKey === undefined ? undefined : hashRequest(request);
  if (idempotencyKey !== undefined) {
    // A repeat gets what the first request made, whatever the balance is now (and is priced by no guard).
    const bound = await deps.idempotency.find(scoped, now.getTime());
    if (bound) {
      if (bound.requestHash !== hash) throw new IdempotencyConflictError(bound.transactionId);
      const existing = await deps.transactions.get(bound.transactionId);
      if (existing) return { tx: existing, replayed: true };
    }
  }
  // Priced before anything is written: a refusal (422) leaves no row, not even the key's. Held from here
  // until the transaction is signed; given back when this call creates nothing.
  const reservation = await deps.guard?.reserve(request);
  let recorded: Submitted;
  try {
    if (idempotencyKey !== undefined && hash !== undefined) {
      const bound = await deps.idempotency.reserve(scoped, hash, id, now.getTime());
      if (bound.record.requestHash !== hash) throw new IdempotencyConflictError(bound.record.transactionId);
      id = bound.record.transactionId;
      if (!bound.created) {
        const existing = await deps.transactions.get(id);
        if (existing) {
          reservation?.release();
          return { tx: existing, replayed: true };
        }
      }
    }
    const fallback = deps.callbacks.defaults[caller.client];
    const callbackUrl = request.callbackUrl ?? (fallback && (await deps.callbacks.ready()) ? fallback : undefined);
    recorded = await recordTransaction(deps, {
      id,
      ...request,
      ...(callbackUrl === undefined ? {} : { callbackUrl }),
      client: caller.client,
      message: 'Accepted; waiting to be broadcast.',
      createdAt: now.toISOString(),
    });
  } catch (error) {
    reservation?.release();
    throw error;
  }
  if (recorded.replayed) reservation?.release();
  else reservation?.commit(recorded.tx.id);
  return recorded;
}

import * as z from 'zod';
import { clientNameSchema } from './clientName.ts';
import { statuses } from './status.ts';

// The statuses live in a zod-free module the admin page can import too; the domain keeps reaching them here.
export { isBroadcast, isTerminal, isTracked, type Status, statuses } from './status.ts';

/**
 * What one attempt, or one look at the chain, came to: the status a response message reports. The
 * broadcaster reports success, retrying or failed; the tracker mined, confirmed, reverted, success again
 * (a reorg took the block away) or failed (another transaction took the nonce).
 */
export const outcomeSchema = z.enum(['success', 'retrying', 'failed', 'mined', 'confirmed', 'reverted']);

/** A receipt as the record keeps it: what the chain did with the transaction, and in which block. */
export const receiptSchema = z
  .object({
    status: z.enum(['success', 'reverted']),
    txHash: z.string(),
    blockNumber: z.number().int().min(0),
    blockHash: z.string(),
    gasUsed: z.string(),
    effectiveGasPrice: z.string(),
    confirmations: z
      .number()
      .int()
      .min(1)
      .meta({ description: 'blocks on top of and including its block, when last seen' }),
    revertReason: z.string().optional().meta({
      description:
        'reverted: the reason the node gives (its call tracer, or the Error/Panic encoded), when it gives one',
    }),
  })
  .meta({ id: 'Receipt' });
export type Receipt = z.infer<typeof receiptSchema>;

/** What a signature of a transaction is: the request as first signed, the same at higher fees, or its cancel. */
export const signatureKinds = ['original', 'reprice', 'cancel'] as const;
export type SignatureKind = (typeof signatureKinds)[number];

/** One signature made for a transaction: every one shares its nonce, any one may be the one mined. */
export const signatureSchema = z.object({
  txHash: z.string(),
  maxFeePerGas: z.string(),
  maxPriorityFeePerGas: z.string(),
  signedAt: z.string(),
  kind: z.enum(signatureKinds).optional().meta({
    description:
      'original (absent on older records): the request as signed; reprice: the same request at higher fees; cancel: a zero-value transfer to the sender itself, in its place',
  }),
  rawTx: z
    .string()
    .optional()
    .meta({ description: 'the bytes of this signature, kept once another replaced it (the latest are `rawTx`)' }),
});
export type SignatureRecord = z.infer<typeof signatureSchema>;

/**
 * What one attempt of a transaction came to, as the updater applies it: the status it reports, the
 * attempt that made it, and what it learned (the hash the node took, the filler that freed its nonce).
 */
export type TransactionOutcome = {
  id: string;
  status: z.infer<typeof outcomeSchema>;
  attempt: number;
  at: string;
  message: string;
  error?: string | undefined;
  txHash?: string | undefined;
  filledBy?: string | undefined;
  /** mined, confirmed, reverted: the receipt the tracker read. */
  receipt?: Receipt | undefined;
  /** success: the block that held it is no longer canonical (a reorg): it goes back from mined. */
  reorged?: boolean | undefined;
  /** With reorged: the block it had been mined in (number and hash). */
  blockNumber?: number | undefined;
  blockHash?: string | undefined;
  /** success from the broadcaster: the token of the tracking that follows it (the only one that may go on). */
  trackToken?: string | undefined;
  /** failed from the tracker: its nonce was mined by a transaction that is none of its signatures. */
  tracked?: boolean | undefined;
  /** success from the tracker: it waits at the fee cap, for this reason (it stays success, flagged). */
  stuck?: string | undefined;
  /** failed from the tracker, with the receipt: its cancel (a zero-value transfer to itself) was mined at depth. */
  canceled?: boolean | undefined;
  /**
   * retrying from the broadcaster: nothing was sent for `attempt` (fee data, gas, nonce or signing failed),
   * trying since then (ms): the attempt is not spent, and it fails once PRESEND_BUDGET_SECONDS have passed.
   */
  unsentSince?: number | undefined;
};

/** A cancel asked for: by whom (a client's name, or `admin`), when, and why (a caller asked, or `validUntil` passed). */
export const cancelSchema = z
  .object({
    requestedAt: z.string(),
    by: z.string(),
    reason: z.enum(['requested', 'expired']),
  })
  .meta({ id: 'Cancel', description: 'a cancel was asked for; the status says what came of it' });
export type CancelRequest = z.infer<typeof cancelSchema>;

/**
 * Re-pricing could not outbid the market within the chain's fee cap (FEE_CAP_GWEI): it waits, re-sent,
 * until the market comes back under the cap. Cleared once it is mined.
 */
export const stuckSchema = z
  .object({
    since: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'Stuck', description: 'waiting at the fee cap: re-sent, not re-priced, until the market falls' });

/**
 * No signer could take it when it was to be signed (each held its most unmined transactions, or was
 * unhealthy): it waits, pending and unsigned, and is taken up as soon as one has room. Gone once signed.
 */
export const waitingSchema = z
  .object({
    since: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'Waiting', description: 'waiting for a signer with room: nothing is signed, no worker is held' });

/** Ids are ours (UUIDs); anything else cannot name a transaction, and must not reach the table's key. */
export const idPattern = /^[A-Za-z0-9_-]{1,128}$/;

export const attemptSchema = z.object({
  attempt: z.number().int().min(1),
  at: z.string(),
  outcome: z.enum([...outcomeSchema.options, 'reorged', 'stuck']),
  error: z.string().optional(),
  blockNumber: z.number().int().optional().meta({ description: 'mined, confirmed, reverted, reorged: the block' }),
});
export type Attempt = z.infer<typeof attemptSchema>;

/** The stored transaction, as the store returns it. */
export const transactionSchema = z.object({
  id: z.string(),
  status: z.enum(statuses),
  message: z.string(),
  attempts: z.number().int().min(0),
  chainId: z.number().int(),
  to: z.string(),
  value: z.string(),
  data: z.string(),
  function: z.string().optional(),
  args: z.array(z.unknown()).optional(),
  gas: z.string().optional(),
  from: z.string().optional(),
  nonce: z.number().int().optional(),
  txHash: z.string().optional(),
  /** The latest signature's bytes, the ones sent again (the view's `rawTx` are those of `txHash`). */
  rawTx: z.string().optional(),
  signedAt: z.string().optional(),
  filledBy: z.string().optional(),
  /** Set when the transaction failed before it was signed: no worker may sign it afterwards. */
  signingClosed: z.string().optional(),
  /** How many of its history's entries (events) the updater has handed to the notifier, when it has a callback URL. */
  announced: z.number().int().min(0).optional(),
  /** The tracking that follows it; a tracking message with another token is an old one and stops. */
  trackToken: z.string().optional(),
  receipt: receiptSchema.optional(),
  hashes: z.array(signatureSchema).optional(),
  requestedGas: z
    .string()
    .optional()
    .meta({ description: 'the gas limit the request named; `gas` is the one signed with (estimated when absent)' }),
  client: clientNameSchema
    .optional()
    .meta({ description: 'the client that submitted it: only that client (and an admin) may read it' }),
  rebroadcastOf: z
    .string()
    .optional()
    .meta({ description: 'this transaction re-sends the failed transaction with this id' }),
  rebroadcastAs: z
    .string()
    .optional()
    .meta({ description: 'this failed transaction was sent again as the transaction with this id' }),
  validUntil: z
    .string()
    .optional()
    .meta({ description: 'not mined by then, it is canceled (ISO 8601), as the request asked' }),
  callbackUrl: z.string().optional().meta({
    description: 'each status change is posted here as a signed webhook (the request’s, or its client’s default)',
  }),
  cancel: cancelSchema.optional(),
  stuck: stuckSchema.optional(),
  waiting: waitingSchema.optional(),
  /**
   * Nothing could be sent for its next attempt since then (ms): the broadcaster's pre-send budget runs from
   * here for a message that does not say (the sweep's, a wake's). Removed when it parks to wait for a signer.
   */
  unsentSince: z.number().int().min(0).optional(),
  history: z.array(attemptSchema).default([]),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Transaction = z.infer<typeof transactionSchema>;

/**
 * What a client sees of a transaction. The signed bytes are shown: they are public once broadcast,
 * and they let anyone check that the hash and the chain hold exactly what was signed.
 */
export const transactionViewSchema = transactionSchema
  .omit({ signingClosed: true, trackToken: true, announced: true, unsentSince: true })
  .extend({
    history: z.array(attemptSchema),
    receipt: receiptSchema.nullable().meta({ description: 'null until it is mined' }),
    hashes: z.array(signatureSchema).meta({
      description: 'every signature made for it, each with its fees; `txHash` is the one mined, else the latest',
    }),
    gas: z.string().nullable(),
    from: z.string().nullable(),
    nonce: z.number().int().nullable(),
    txHash: z.string().nullable(),
    rawTx: z.string().nullable().meta({ description: 'the signed bytes of `txHash`' }),
    signedAt: z.string().nullable(),
    validUntil: z.string().nullable(),
    callbackUrl: z.string().nullable(),
    cancel: cancelSchema.nullable().meta({ description: 'null unless a cancel was asked for' }),
    stuck: stuckSchema.nullable().meta({ description: 'null unless it waits at the fee cap' }),
    waiting: waitingSchema.nullable().meta({ description: 'null unless it waits for a signer with room' }),
  })
  .meta({ id: 'Transaction' });
export type TransactionView = z.infer<typeof transactionViewSchema>;

/** True for a transaction whose cancel took effect: it ended failed with a cancel asked for, never mined as asked. */
export function isCanceled(tx: Pick<Transaction, 'status' | 'cancel'>): boolean {
  return tx.status === 'failed' && tx.cancel !== undefined;
}

/** True once a transaction's `validUntil` has passed. */
export function isExpired(tx: Pick<Transaction, 'validUntil'>, now: Date): boolean {
  return tx.validUntil !== undefined && Date.parse(tx.validUntil) <= now.getTime();
}

/** True when a cancel was asked for (or `validUntil` passed) and its latest signature is not a cancel yet. */
export function awaitsCancel(tx: Pick<Transaction, 'validUntil' | 'cancel' | 'hashes'>, now: Date): boolean {
  return (tx.cancel !== undefined || isExpired(tx, now)) && tx.hashes?.at(-1)?.kind !== 'cancel';
}

/** The fees a signature was made with. */
export function feesOf(signature: SignatureRecord): { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } {
  return { maxFeePerGas: BigInt(signature.maxFeePerGas), maxPriorityFeePerGas: BigInt(signature.maxPriorityFeePerGas) };
}

/** True while its cancel is in a block short of the chain's depth: canceled, once at depth. */
export function isCancelMined(tx: Pick<Transaction, 'status' | 'receipt' | 'hashes'>): boolean {
  const mined = tx.receipt?.txHash;
  return (
    tx.status === 'mined' &&
    mined !== undefined &&
    tx.hashes?.some((h) => h.txHash === mined && h.kind === 'cancel') === true
  );
}

/** The bytes of the signature `txHash` names: its entry's once a later one replaced it, else the record's (the latest). */
function bytesOf(tx: Transaction): string | undefined {
  const entry = tx.hashes?.find((h) => h.txHash === tx.txHash);
  return entry?.rawTx ?? tx.rawTx;
}

/** Shapes a stored transaction for an HTTP answer, with `null` for what is not known yet. */
export function toView(tx: Transaction): TransactionView {
  const { signingClosed: _closed, trackToken: _tracking, announced: _announced, unsentSince: _unsent, ...rest } = tx;
  return {
    ...rest,
    receipt: tx.receipt ?? null,
    hashes: tx.hashes ?? [],
    gas: tx.gas ?? null,
    from: tx.from ?? null,
    nonce: tx.nonce ?? null,
    txHash: tx.txHash ?? null,
    // The bytes of `txHash`: the record's own are the latest signature's, the one sent again.
    rawTx: bytesOf(tx) ?? null,
    signedAt: tx.signedAt ?? null,
    validUntil: tx.validUntil ?? null,
    callbackUrl: tx.callbackUrl ?? null,
    cancel: tx.cancel ?? null,
    stuck: tx.stuck ?? null,
    waiting: tx.waiting ?? null,
  };
}

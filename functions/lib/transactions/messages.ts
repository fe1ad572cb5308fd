import * as z from 'zod';
import { outcomeSchema, receiptSchema } from './model.ts';

/**
 * The broadcaster's phases a message may ask for:
 * - broadcast: sign the transaction if it never was, then send its bytes, as attempt `attempt`;
 * - settle: every attempt is spent; decide what the last one left open, never send the transaction again;
 * - reprice: sign the same request for the same nonce at higher fees, store it, send it (the tracker asks);
 * - cancel: sign a zero-value transfer to the sender itself for the same nonce, store it, send it.
 */
export const broadcastPhases = ['broadcast', 'settle', 'reprice', 'cancel'] as const;
export type BroadcastPhase = (typeof broadcastPhases)[number];
/** The phases that replace a signed transaction's latest signature. */
export type ReplacePhase = Extract<BroadcastPhase, 'reprice' | 'cancel'>;

/** A message on the requests or retry queue: run phase `phase` for transaction `id`, as attempt number `attempt`. */
export const broadcastMessageSchema = z.object({
  id: z.string().min(1),
  attempt: z.number().int().min(1).default(1),
  phase: z.enum(broadcastPhases).default('broadcast'),
  /** reprice, cancel: the signature the asker saw as the latest; once another replaced it, the message is old. */
  replaces: z.string().optional(),
  /**
   * broadcast: when this attempt first failed before anything was sent (ms since the epoch); it is retried
   * as the same attempt until PRESEND_BUDGET_SECONDS from then.
   */
  unsentSince: z.number().int().min(0).optional(),
});
/** What the broadcaster is asked to do: a parsed queue message, or one built in code (no phase: broadcast). */
export type BroadcastMessage = {
  id: string;
  attempt: number;
  phase?: BroadcastPhase;
  replaces?: string | undefined;
  unsentSince?: number | undefined;
};

/**
 * A message on the requests queue from the sweep: use up nonce `nonce` of `from` on `chainId` with a
 * filler. The sweep finds the gap; the broadcaster, the only function that may sign, fills it.
 */
export const fillMessageSchema = z.object({
  fill: z.object({
    chainId: z.number().int().positive(),
    from: z.string().min(1),
    nonce: z.number().int().min(0),
    reason: z.string(),
    /** The filler of this nonce with this hash has waited unmined: re-price it if the market is above its fees. */
    reprice: z.string().optional(),
  }),
});
export type FillMessage = z.infer<typeof fillMessageSchema>;

/** Everything the broadcaster consumes: a transaction to broadcast, or a nonce to fill. */
export const broadcasterMessageSchema = z.union([fillMessageSchema, broadcastMessageSchema]);

/**
 * A message on the tracking queue: look at the chain for transaction `id` again. `token` names the
 * tracking (the one the record holds goes on; another stops); `misses` counts looks in a row that found
 * no receipt, since one empty answer decides nothing.
 */
export const trackMessageSchema = z.object({
  id: z.string().min(1),
  /** Its chain, on a look that may wake a waiter (one at `success`): it reads the chain's line marker with the record. */
  chainId: z.number().int().positive().optional(),
  token: z.string().min(1),
  misses: z.number().int().min(0).default(0),
  /** The last look saw its nonce used by none of its signatures: a second such look in a row decides. */
  nonceTaken: z.boolean().default(false),
});
export type TrackMessage = z.input<typeof trackMessageSchema>;

/**
 * The `chainId` a look carries: only a look at a transaction still `success` names its chain, as only that
 * look can wake a waiter (it reads the chain's line marker with the record); the others read the record alone.
 */
export const chainOfLook = (status: string, chainId: number | undefined): { chainId?: number } =>
  status === 'success' && chainId !== undefined ? { chainId } : {};

/** A message on the responses queue: the outcome of one broadcast attempt, or what the tracker saw. */
export const responseMessageSchema = z.object({
  id: z.string().min(1),
  status: outcomeSchema,
  attempt: z.number().int().min(1),
  at: z.string(),
  message: z.string(),
  error: z.string().optional(),
  txHash: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  filledBy: z.string().optional(),
  receipt: receiptSchema.optional(),
  reorged: z.boolean().optional(),
  blockNumber: z.number().int().min(0).optional(),
  blockHash: z.string().optional(),
  tracked: z.boolean().optional(),
  /** The transaction's chain, where the sender knew it: the updater paces the next look by it. */
  chainId: z.number().int().positive().optional(),
  stuck: z.string().optional(),
  canceled: z.boolean().optional(),
  unsentSince: z.number().int().min(0).optional(),
});
export type ResponseMessage = z.infer<typeof responseMessageSchema>;

/**
 * A message on the notifications queue: deliver one webhook event, as attempt `attempt`. A transaction's
 * event names its place in the transaction's history (the notifier reads the rest); the operator's event
 * carries its data.
 */
export const notificationMessageSchema = z.object({
  event: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('transaction'),
      id: z.string().min(1),
      transactionId: z.string().min(1),
      sequence: z.number().int().min(1),
      type: z.string().min(1),
      at: z.string(),
    }),
    z.object({
      kind: z.literal('operator'),
      id: z.string().min(1),
      type: z.string().min(1),
      at: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ]),
  attempt: z.number().int().min(1).default(1),
  /** Set on the copy put in the dead-letter queue: moved back (a redrive), it starts a new round of attempts. */
  redriven: z.boolean().optional(),
});
export type NotificationMessage = z.input<typeof notificationMessageSchema>;
export type NotificationEvent = NotificationMessage['event'];

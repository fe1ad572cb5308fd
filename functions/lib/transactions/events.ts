import * as z from 'zod';
import type { Attempt } from './model.ts';

// The events a transaction's webhooks carry. Each status change the updater applies adds one entry to the
// transaction's history, and each entry is one event: its place in the history is its sequence number
// (from 1), so the events of a transaction need no store of their own; only their deliveries are kept.

/** The event of each kind of history entry. */
export const transactionEventTypes = {
  success: 'transaction.success',
  retrying: 'transaction.retrying',
  failed: 'transaction.failed',
  mined: 'transaction.mined',
  confirmed: 'transaction.confirmed',
  reverted: 'transaction.reverted',
  reorged: 'transaction.reorged',
  stuck: 'transaction.stuck',
} as const satisfies Record<Attempt['outcome'], string>;
export type TransactionEventType = (typeof transactionEventTypes)[keyof typeof transactionEventTypes];

/** The operator's event: a signer's balance fell below LOW_BALANCE_WEI on a chain. */
export const lowBalanceEventType = 'signer.low_balance';

/** The `webhook-id` of a transaction's event `sequence`: the same on every delivery of it. */
export function webhookIdOf(transactionId: string, sequence: number): string {
  return `evt_${transactionId}_${sequence}`;
}

/** How one delivery attempt was answered: an HTTP status and the first bytes of the body, or why there was none. */
export const deliveryAnswerSchema = z
  .strictObject({
    at: z.string(),
    status: z.number().int().nullable().meta({ description: 'the receiver’s HTTP status; null when none came' }),
    excerpt: z.string().nullable().meta({ description: 'the first bytes of its body (at most 256)' }),
    error: z.string().nullable().meta({ description: 'why no 2xx came: a timeout, a refused address, a status' }),
  })
  .meta({ id: 'DeliveryAnswer' });
export type DeliveryAnswer = z.infer<typeof deliveryAnswerSchema>;

/** Where a delivery stands: retried until a 2xx, or until its attempts are spent (then in the dead-letter queue). */
export const deliveryStates = ['retrying', 'delivered', 'failed'] as const;

/** One event's delivery to its URL. */
export const deliverySchema = z
  .strictObject({
    url: z.string(),
    state: z.enum(deliveryStates),
    attempts: z.number().int().min(0),
    lastAnswer: deliveryAnswerSchema.nullable(),
    nextAttemptAt: z.string().nullable().meta({ description: 'retrying: when the next attempt is due' }),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof deliverySchema>;

/** One event of a transaction, with its delivery (null when the transaction has no callback URL, or not yet tried). */
export const transactionEventSchema = z
  .strictObject({
    id: z.string().meta({ description: 'the `webhook-id` of its deliveries' }),
    sequence: z.number().int().min(1),
    type: z.enum(Object.values(transactionEventTypes) as [TransactionEventType, ...TransactionEventType[]]),
    at: z.string(),
    delivery: deliverySchema.nullable(),
  })
  .meta({ id: 'TransactionEvent' });
export type TransactionEvent = z.infer<typeof transactionEventSchema>;

/** The answer of `GET /transactions/{id}/events`: oldest first. */
export const transactionEventsSchema = z
  .strictObject({ items: z.array(transactionEventSchema) })
  .meta({ id: 'TransactionEvents' });
export type TransactionEvents = z.infer<typeof transactionEventsSchema>;

/** The body of a transaction's webhook (Standard Webhooks' `type`, `timestamp`, `data`). */
export type TransactionWebhook = {
  type: TransactionEventType;
  timestamp: string;
  data: { sequence: number; transaction: unknown };
};

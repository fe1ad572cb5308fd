import * as z from 'zod';
import { clientNameSchema } from './clientName.ts';
import { statuses } from './status.ts';

// The statuses live in a zod-free module the admin page can import too; the domain keeps reaching them here.
export { isTerminal, type Status, statuses } from './status.ts';

/** What one attempt came to: also the status a response message reports. */
export const outcomeSchema = z.enum(['success', 'retrying', 'failed']);

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
};

/** Ids are ours (UUIDs); anything else cannot name a transaction, and must not reach the table's key. */
export const idPattern = /^[A-Za-z0-9_-]{1,128}$/;

export const attemptSchema = z.object({
  attempt: z.number().int().min(1),
  at: z.string(),
  outcome: outcomeSchema,
  error: z.string().optional(),
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
  rawTx: z.string().optional(),
  signedAt: z.string().optional(),
  filledBy: z.string().optional(),
  /** Set when the transaction failed before it was signed: no worker may sign it afterwards. */
  signingClosed: z.string().optional(),
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
  .omit({ signingClosed: true })
  .extend({
    history: z.array(attemptSchema),
    gas: z.string().nullable(),
    from: z.string().nullable(),
    nonce: z.number().int().nullable(),
    txHash: z.string().nullable(),
    rawTx: z.string().nullable(),
    signedAt: z.string().nullable(),
  })
  .meta({ id: 'Transaction' });
export type TransactionView = z.infer<typeof transactionViewSchema>;

/** Shapes a stored transaction for an HTTP answer, with `null` for what is not known yet. */
export function toView(tx: Transaction): TransactionView {
  const { signingClosed: _internal, ...rest } = tx;
  return {
    ...rest,
    gas: tx.gas ?? null,
    from: tx.from ?? null,
    nonce: tx.nonce ?? null,
    txHash: tx.txHash ?? null,
    rawTx: tx.rawTx ?? null,
    signedAt: tx.signedAt ?? null,
  };
}

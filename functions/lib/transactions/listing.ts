import { isAddress } from 'viem';
import * as z from 'zod';
import { clientNameSchema } from './clientName.ts';
import { statuses, transactionViewSchema } from './model.ts';

// The wire contracts of the admin's reads, `GET /transactions` and `GET /admin/signers`: the api parses and
// documents with them, the admin page reads their types. The paging itself (the cursor, the store) is the
// api's, in api/listTransactions.ts; the signers view is read by api/readSignersView.ts.

/** Most transactions one page may hold, and how many it holds unless asked. */
export const listLimits = { default: 50, max: 200 } as const;

/** An instant as an ISO 8601 date-time with an offset, or a date (midnight UTC); stored as `toISOString()`. */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((s) => new Date(s).toISOString())
  .meta({ examples: ['2026-11-24', '2026-11-24T09:00:00Z', '2026-11-24T10:00:00+01:00'] });

/** The query string of `GET /transactions`. */
export const listQuerySchema = z.strictObject({
  status: z.enum(statuses).optional().meta({ description: 'only transactions in this status' }),
  client: clientNameSchema.optional().meta({ description: 'only transactions this client submitted' }),
  signer: z
    .string()
    .refine((s) => isAddress(s, { strict: true }), {
      message: 'must be a 20-byte 0x address (mixed case must be a valid EIP-55 checksum)',
    })
    .optional()
    .meta({
      description:
        'only transactions whose sender (`from`) is this signer; the items of each page are filtered after the read, so a page may hold fewer than `limit` while `cursor` goes on',
      examples: ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'],
    }),
  from: instant.optional().meta({ description: 'only transactions created at or after this instant' }),
  to: instant.optional().meta({ description: 'only transactions created before this instant' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(listLimits.max)
    .default(listLimits.default)
    .meta({ description: `transactions on this page (at most ${listLimits.max})` }),
  cursor: z
    .string()
    .max(1024)
    .optional()
    .meta({ description: 'the `cursor` of the previous page: this page holds the transactions just older' }),
});

const count = z.number().int().min(0);
const countsSchema = z
  .strictObject({
    pending: count,
    retrying: count,
    success: count,
    mined: count,
    confirmed: count,
    reverted: count,
    failed: count,
  } satisfies Record<(typeof statuses)[number], typeof count>)
  .meta({
    id: 'StatusCounts',
    description:
      'transactions per status within the time range (all of them without one), of the client and the signer filtered by',
  });

/** The answer of `GET /transactions`. */
export const transactionListSchema = z
  .strictObject({
    items: z.array(transactionViewSchema).meta({ description: 'newest first' }),
    cursor: z
      .string()
      .nullable()
      .meta({ description: 'pass as `cursor` for the next, older page; null on the last page' }),
    counts: countsSchema.optional().meta({ description: 'on the first page only (no `cursor` given)' }),
  })
  .meta({ id: 'TransactionList' });
/** One page of `GET /transactions`. */
export type TransactionList = z.infer<typeof transactionListSchema>;

// --- `GET /admin/signers`

const nonce = z.number().int().min(0);

/** One signer of the pool on one chain, as read for this answer. */
export const signerRowSchema = z
  .strictObject({
    address: z.string().meta({ description: 'the signer’s address (EIP-55)' }),
    balance: z
      .string()
      .regex(/^\d+$/)
      .nullable()
      .meta({ description: 'its balance in wei, a decimal string; null when the chain did not give it' }),
    inFlight: nonce.nullable().meta({
      description: 'nonces it has taken and the chain has not mined: its transactions (and fillers) in flight',
    }),
    cap: z.number().int().min(1).meta({ description: 'the most it may hold in flight (MAX_IN_FLIGHT_PER_SIGNER)' }),
    next: nonce
      .nullable()
      .meta({ description: 'the next nonce its counter hands out; null before it took one on this chain' }),
    mined: nonce
      .nullable()
      .meta({ description: 'the chain’s count of its mined transactions: the nonce it mines next' }),
    healthy: z
      .boolean()
      .nullable()
      .meta({ description: 'false when it gets no new transactions but those that name it (`why` says why)' }),
    why: z.string().nullable().meta({ description: 'why it is not healthy; null when it is' }),
    openSpend: z.string().regex(/^\d+$/).nullable().meta({
      description:
        'wei its open transactions may still spend: value plus gas times max fee of each unmined one (null when unknown)',
    }),
  })
  .meta({ id: 'SignerState' });

/** The pool on one chain. */
export const chainSignersSchema = z
  .strictObject({
    chainId: z.number().int().min(1),
    waiting: z.number().int().min(0).meta({
      description: 'transactions of this chain that wait for a signer with room (or for the signer they name)',
    }),
    error: z.string().nullable().meta({
      description:
        'why this chain’s signers could not be read (its RPC did not answer): its rows then hold only the address and the cap',
    }),
    signers: z.array(signerRowSchema).meta({ description: 'every signer of the pool, in the pool’s order' }),
  })
  .meta({ id: 'ChainSigners' });

/** The answer of `GET /admin/signers`. */
export const signersViewSchema = z
  .strictObject({
    chains: z.array(chainSignersSchema).meta({ description: 'every configured chain' }),
  })
  .meta({ id: 'SignersView' });

export type SignerRow = z.infer<typeof signerRowSchema>;
export type ChainSigners = z.infer<typeof chainSignersSchema>;
/** The answer of `GET /admin/signers`. */
export type SignersView = z.infer<typeof signersViewSchema>;

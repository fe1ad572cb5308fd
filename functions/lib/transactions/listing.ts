import * as z from 'zod';
import { clientNameSchema } from './clientName.ts';
import { statuses, transactionViewSchema } from './model.ts';

// The wire contract of `GET /transactions`: the api parses and documents with it, the admin page reads
// its types. The paging itself (the cursor, the store) is the api's, in api/listTransactions.ts.

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
    description: 'transactions per status within the time range (all of them without one), of the client filtered by',
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

import * as z from 'zod';
import { ValidationError } from '../errors/errors.ts';
import { fromZodError } from '../errors/fromZodError.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import type { PageKey } from '../store/transactionKeys.ts';
import { listQuerySchema, type TransactionList } from '../transactions/listing.ts';
import { idPattern, toView } from '../transactions/model.ts';

const pageKeySchema = z.strictObject({
  id: z.string().regex(idPattern),
  // `createdAt#id`: an ISO timestamp, then an id.
  sortKey: z
    .string()
    .regex(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z#${idPattern.source.slice(1)}`)),
});

/** A page's place as an opaque token: base64url JSON; nothing in it is secret, and nothing in it is trusted. */
function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function badCursor(message: string): ValidationError {
  return new ValidationError(`the cursor is invalid: ${message}`, [{ path: 'cursor', message }]);
}

/** The place a cursor names, checked to be one this query could have made. */
function decodeCursor(cursor: string, query: { from?: string; to?: string }): PageKey {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('must be the cursor of an earlier page, unchanged');
  }
  const parsed = pageKeySchema.safeParse(json);
  if (!parsed.success || !parsed.data.sortKey.endsWith(`#${parsed.data.id}`)) {
    throw badCursor('must be the cursor of an earlier page, unchanged');
  }
  const { sortKey } = parsed.data;
  if ((query.from !== undefined && sortKey < query.from) || (query.to !== undefined && sortKey >= query.to)) {
    throw badCursor('belongs to another time range: start again without it');
  }
  return parsed.data;
}

/**
 * One page of transactions, newest first, with status, client and signer filters and a time range, from an index
 * (never a scan); counts per status come with the first page (everyone's from the day counters, whatever the
 * table holds; one client's or signer's from the indexes over the range). A page starts just below the last one
 * (keyset paging), so transactions created while a client pages, all newer, neither shift nor repeat
 * what it sees.
 */
export async function listTransactions(
  transactions: Pick<TransactionReads, 'list' | 'countByStatus'>,
  params: Record<string, string | undefined>,
): Promise<TransactionList> {
  const parsed = listQuerySchema.safeParse(params);
  if (!parsed.success) throw fromZodError(parsed.error, 'the query');
  const { status, client, signer, from, to, limit, cursor } = parsed.data;
  if (from !== undefined && to !== undefined && from >= to) {
    throw new ValidationError('the time range is empty: `to` must be later than `from`', [
      { path: 'to', message: 'must be later than from' },
    ]);
  }
  const range = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
  const after = cursor === undefined ? undefined : decodeCursor(cursor, range);
  const [page, counts] = await Promise.all([
    transactions.list({
      ...range,
      limit,
      ...(status ? { status } : {}),
      ...(client ? { client } : {}),
      ...(signer ? { signer } : {}),
      ...(after ? { after } : {}),
    }),
    after
      ? undefined
      : transactions.countByStatus({ ...range, ...(client ? { client } : {}), ...(signer ? { signer } : {}) }),
  ]);
  return {
    items: page.items.map(toView),
    cursor: page.next ? encodeCursor(page.next) : null,
    ...(counts ? { counts } : {}),
  };
}

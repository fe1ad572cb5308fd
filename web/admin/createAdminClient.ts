import type { TransactionEvents } from '../../functions/lib/transactions/events.ts';
import type { SignersView, TransactionList } from '../../functions/lib/transactions/listing.ts';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import type { Status } from '../../functions/lib/transactions/status.ts';

/** A refusal of the API, with the words it gave; `auth` when the token itself was refused. */
export class AdminApiError extends Error {
  override name = 'AdminApiError';
  readonly status: number;
  readonly auth: boolean;

  constructor(status: number, message: string, auth: boolean) {
    super(message);
    this.status = status;
    this.auth = auth;
  }
}

/** The filters of a listing, as the API takes them. */
export type ListFilter = {
  status?: Status | undefined;
  client?: string | undefined;
  /** A signer's address: only the transactions it sends. */
  signer?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
};

/** What the page asks of the API, with the admin token. */
export type AdminClient = {
  list(filter: ListFilter, options?: { cursor?: string; limit?: number }): Promise<TransactionList>;
  get(id: string): Promise<TransactionView>;
  /** Its events, oldest first, each with its webhook delivery as it stands. */
  events(id: string): Promise<TransactionEvents>;
  /** The signer pool on each chain, read now. */
  signers(): Promise<SignersView>;
  /** The new transaction, and whether this call created it (false: an earlier rebroadcast had). */
  rebroadcast(id: string): Promise<{ tx: TransactionView; created: boolean }>;
  /**
   * Asks for its cancel: the transaction, and whether the cancel is final (200: canceled, now or before)
   * or on its way (202: a replacement was signed or asked for; read it again to follow it). 409: too late.
   */
  cancel(id: string): Promise<{ tx: TransactionView; final: boolean }>;
  /**
   * What the service still lacks to take transactions (its `configuration` check of `GET /admin/health`,
   * answered 503 while it lacks it), or undefined once it is configured.
   */
  unconfigured(): Promise<string | undefined>;
};

type ErrorBody = { error?: { code?: string; message?: string } };

/** The reader's words for a refusal: which token problem it is, or what the API said. */
function refusal(status: number, body: ErrorBody): AdminApiError {
  const code = body.error?.code;
  if (status === 401 || (status === 403 && code !== 'forbidden')) {
    // 403 without our error shape: API Gateway's authorizer refused the token on AWS.
    return new AdminApiError(status, 'That token is not valid. Check it and enter it again.', true);
  }
  if (status === 403) {
    return new AdminApiError(status, 'That is a client token. This page needs an admin token.', true);
  }
  return new AdminApiError(status, body.error?.message ?? `The API answered ${status}.`, false);
}

/**
 * The API client of the admin page: bearer token on every call, errors as `AdminApiError`. Paths are
 * relative to the page (`/admin` -> `transactions` is `/transactions`), so the page also works under
 * a custom domain's base path.
 */
export function createAdminClient(token: string, base = ''): AdminClient {
  async function call<T>(method: string, path: string): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
    } catch {
      throw new AdminApiError(0, 'The API cannot be reached. Retrying…', false);
    }
    const text = await res.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: a gateway's own page
    }
    // The page takes its own API's answers as documented (zod would triple the page's size); the API
    // tests check every answer against the OpenAPI document. A health check's 503 is an answer, not a refusal.
    const isHealth = path === 'admin/health' && res.status === 503;
    if (!res.ok && !isHealth) throw refusal(res.status, (body ?? {}) as ErrorBody);
    return { status: res.status, body: body as T };
  }

  return {
    async list(filter, options = {}) {
      const query = new URLSearchParams();
      if (filter.status) query.set('status', filter.status);
      if (filter.client) query.set('client', filter.client);
      if (filter.signer) query.set('signer', filter.signer);
      if (filter.from) query.set('from', filter.from);
      if (filter.to) query.set('to', filter.to);
      if (options.limit) query.set('limit', String(options.limit));
      if (options.cursor) query.set('cursor', options.cursor);
      const qs = query.toString();
      return (await call<TransactionList>('GET', `transactions${qs ? `?${qs}` : ''}`)).body;
    },
    async get(id) {
      return (await call<TransactionView>('GET', `transactions/${encodeURIComponent(id)}`)).body;
    },
    async events(id) {
      return (await call<TransactionEvents>('GET', `transactions/${encodeURIComponent(id)}/events`)).body;
    },
    async signers() {
      return (await call<SignersView>('GET', 'admin/signers')).body;
    },
    async rebroadcast(id) {
      const res = await call<TransactionView>('POST', `transactions/${encodeURIComponent(id)}/rebroadcast`);
      return { tx: res.body, created: res.status === 201 };
    },
    async cancel(id) {
      const res = await call<TransactionView>('POST', `transactions/${encodeURIComponent(id)}/cancel`);
      return { tx: res.body, final: res.status !== 202 };
    },
    async unconfigured() {
      const { body } = await call<{ checks?: Record<string, string> }>('GET', 'admin/health');
      const check = body.checks?.configuration;
      return check && check !== 'ok' ? check : undefined;
    },
  };
}

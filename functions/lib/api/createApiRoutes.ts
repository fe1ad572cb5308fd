import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { adminPage } from '../admin/adminPage.ts';
import type { Caller } from '../auth/Caller.ts';
import { mayAccess } from '../auth/mayAccess.ts';
import { createFeeCache } from '../chain/createFeeCache.ts';
import { ConfigError, NotCancelableError, NotConfiguredError, NotFoundError } from '../errors/errors.ts';
import { checkHealth, type Health, type HealthProbe, healthSchema } from '../health/checkHealth.ts';
import { errorBodySchema } from '../http/errorBodySchema.ts';
import { parseIdempotencyKey } from '../http/parseIdempotencyKey.ts';
import { parsePrefer } from '../http/parsePrefer.ts';
import { maxBodyBytes, readJsonBody } from '../http/readJsonBody.ts';
import { type HttpResult, json } from '../http/respond.ts';
import type { Services } from '../services/createServices.ts';
import { signerStatesSettings } from '../signers/signerStates.ts';
import { createSpendGuard, type SpendGuard } from '../signers/spendGuard.ts';
import { transactionEventsSchema } from '../transactions/events.ts';
import { listLimits, listQuerySchema, signersViewSchema, transactionListSchema } from '../transactions/listing.ts';
import {
  idPattern,
  isBroadcast,
  isCanceled,
  isCancelMined,
  isTerminal,
  type Transaction,
  toView,
  transactionViewSchema,
} from '../transactions/model.ts';
import { transactionRequestSchema } from '../transactions/requestSchema.ts';
import { cancelTransaction } from './cancelTransaction.ts';
import { listTransactions } from './listTransactions.ts';
import type { ResponseDoc, Route, RouteDetails } from './Route.ts';
import { createSignersView, signerStatesOnce } from './readSignersView.ts';
import { readTransactionEvents } from './readTransactionEvents.ts';
import { rebroadcastTransaction } from './rebroadcastTransaction.ts';
import { type RouteName, routeTable } from './routeTable.ts';
import { submitTransaction } from './submitTransaction.ts';
import { createOutcomeTimes, waitForOutcome } from './waitForOutcome.ts';

export type { Route } from './Route.ts';

/** A 503 of a route that takes new transactions. */
const notConfiguredAnswer =
  'the service is not configured yet (a new stack whose chains secret holds no RPC URLs): `not_configured`; GET /admin/health says what is missing';

/** How long one read of the open `GET /health` serves every caller. */
const healthCacheMs = 10_000;

/** Longest wait a deployment may allow (MAX_WAIT_MS): API Gateway gives up on an integration at 30 s. */
export const maxWaitMs = 25_000;

/** The transaction a path names: 404 for an id that cannot be ours, before it reaches the table's key. */
function pathId(event: { pathParameters?: Record<string, string | undefined> }): string {
  const id = event.pathParameters?.id ?? '';
  if (!idPattern.test(id)) throw new NotFoundError('no transaction has that id');
  return id;
}

/** The caller of a route that needs a token; the access check ran before any handler, so there is one. */
function authenticated(caller: Caller | undefined): Caller {
  if (!caller) throw new Error('a protected route ran without a caller');
  return caller;
}

/** An original in a block: a cancel can no longer replace it (its own cancel in a block is on its way). */
const originalMined = (tx: Transaction) => tx.status === 'mined' && !isCancelMined(tx);

/** A cancel's wait ends once the transaction is final, or its original is in a block. */
const isSettled = (tx: Transaction) => isTerminal(tx.status) || originalMined(tx);

/** The 409 of a cancel that came too late: the original's outcome stands. */
function notCancelable(tx: Transaction): NotCancelableError {
  const detail = tx.status === 'mined' ? `it is in block ${tx.receipt?.blockNumber ?? '?'}` : 'its outcome is final';
  return new NotCancelableError(tx.id, tx.status, detail);
}

/** The `Location` header of a transaction's own resource. */
const locationOf = (tx: { id: string }) => ({ location: `/transactions/${tx.id}` });

/** 200 once broadcast (success, or already mined, confirmed or reverted), 422 once failed for good, 202 while on its way. */
function answerFor(tx: Transaction, headers: Record<string, string>): HttpResult {
  const all = { ...locationOf(tx), ...headers };
  if (isBroadcast(tx.status)) return json(200, toView(tx), all);
  if (tx.status === 'failed') return json(422, toView(tx), all);
  return json(202, toView(tx), all);
}

const transactionHeaders = {
  Location: 'the transaction: `/transactions/{id}`',
  'Idempotent-Replayed': '`true` when an earlier request with the same Idempotency-Key created the transaction',
  'Preference-Applied': 'the Prefer value honoured: `respond-async` or `wait=N`',
};
const transactionAnswer = (description: string): ResponseDoc => ({
  description,
  schema: transactionViewSchema,
  headers: transactionHeaders,
});
const error = (description: string, headers?: Record<string, string>): ResponseDoc => ({
  description,
  schema: errorBodySchema,
  ...(headers ? { headers } : {}),
});

/** The routes of the HTTP API, in the order of the route table, each an adapter from the event to the domain and back. */
export function createApiRoutes(services: Services): Route[] {
  const { config, transactions, logger } = services;
  /** This process's recent times from a row's creation to its `success`: where a POST's wait reads. */
  const outcomeTimes = createOutcomeTimes();
  const submitDeps = {
    transactions,
    idempotency: services.idempotency,
    requests: services.queues.requests,
    chainIds: services.chains.chainIds(),
    defaultChainId: config.CHAIN_ID,
    signerAddresses: async () => (await services.signers()).all.map((s) => s.address),
    staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
    callbacks: {
      // A secret named but not filled yet (a fresh stack) signs nothing: no callback URL is taken until it is.
      // A read that failed for another reason (Secrets Manager unreachable) is ours: it throws, a 5xx.
      ready: async () =>
        services.webhookSecrets.configured &&
        (await services.webhookSecrets.secrets().then(
          (s) => s.length > 0,
          (error: unknown) => {
            if (error instanceof ConfigError) return false;
            throw error;
          },
        )),
      policy: services.webhookPolicy,
      defaults: config.CALLBACK_URLS,
    },
    // Built below, before any request can arrive.
    guard: undefined as SpendGuard | undefined,
    logger,
    now: () => new Date(),
    newId: randomUUID,
  };
  const cancelDeps = { transactions, requests: services.queues.requests, logger, now: () => new Date() };
  const poolDeps = {
    signers: services.signers,
    nonces: services.nonces,
    chains: services.chains,
    settings: signerStatesSettings(config),
  };
  const states = signerStatesOnce(poolDeps);
  const fees = createFeeCache(config.FEE_CACHE_MS);
  const maxFeePerGas = async (chainId: number) =>
    (await fees.get(chainId, services.chains.client(chainId))).maxFeePerGas;
  const guard = createSpendGuard({
    states: { read: async (chainId, options) => (await states()).read(chainId, options) },
    nonces: services.nonces,
    transactions,
    maxFeePerGas,
    cacheMs: config.BALANCE_CACHE_MS,
    waitMs: 1000,
    logger,
    now: Date.now,
  });
  if (config.BALANCE_GUARD === 'on') submitDeps.guard = guard;
  const signersView = createSignersView({
    ...poolDeps,
    transactions,
    logger,
    states,
    openSpend: (chainId) => guard.spendOf(chainId, { fresh: true }),
  });
  /** GET /health's check of each signer: can it pay for one plain transfer at today's fees? */
  const signerProbes = async (): Promise<HealthProbe[]> => {
    const pool = await services.signers();
    return services.chains.chainIds().flatMap((chainId) => {
      // One read of the chain's signers for all of their checks.
      let read: Promise<[Awaited<ReturnType<typeof guard.spendOf>>, bigint]> | undefined;
      const readOnce = () => {
        read ??= Promise.all([guard.spendOf(chainId, { fresh: true }), maxFeePerGas(chainId)]);
        return read;
      };
      return pool.all.map(
        (signer): HealthProbe => [
          `signer:${chainId}:${signer.address}`,
          async () => {
            const [spend, maxFee] = await readOnce();
            const balance = spend.find((s) => s.address === signer.address)?.balance;
            const transfer = 21_000n * maxFee;
            if (balance === undefined) return 'unavailable (its balance could not be read)';
            return balance < transfer
              ? `cannot pay one plain transfer: balance ${balance} wei, a transfer may cost ${transfer} wei`
              : undefined;
          },
        ],
      );
    });
  };
  /** The transaction a path names, if the caller may read it: another client's is answered as one that does not exist. */
  const readOwn = async (event: Parameters<Route['handler']>[0], caller: Caller | undefined) => {
    const id = pathId(event);
    const tx = await transactions.get(id);
    if (!tx || !mayAccess(authenticated(caller), tx)) throw new NotFoundError(`no transaction with id ${id}`, id);
    return tx;
  };
  const healthDeps = { dynamo: services.dynamo, tableName: config.TABLE_NAME };
  const deepHealthDeps = { sqs: services.sqs, queueUrls: services.queueUrls, chains: services.chains };
  /**
   * While the service is unconfigured (a fresh stack's chains secret), health says so: the open probe
   * what is missing without naming the secret, the admin's which secret and how to put it.
   */
  const configurationProbe = (who: 'open' | 'admin'): HealthProbe[] =>
    services.unconfigured.length === 0
      ? []
      : [
          [
            'configuration',
            async () =>
              who === 'admin'
                ? `not configured: ${services.unconfigured.join('; ')}`
                : 'not configured: the chains secret holds no usable RPC URL for this chain yet; GET /admin/health (an admin token) names the secret and how to fill it',
          ],
        ];
  /** New transactions wait until the service is configured: nothing could sign or send them. */
  const refuseUnconfigured = () => {
    if (services.unconfigured.length > 0) throw new NotConfiguredError();
  };
  // The open probe reads its dependencies at most once per period, whoever calls it and how often.
  let shallow: { at: number; health: Promise<Health> } | undefined;
  const shallowHealth = () => {
    if (!shallow || Date.now() - shallow.at >= healthCacheMs)
      shallow = { at: Date.now(), health: checkHealth({ ...healthDeps, extra: configurationProbe('open') }) };
    return shallow.health;
  };
  const details: Record<RouteName, RouteDetails> = {
    submitTransaction: {
      description: `Records the transaction, queues it for broadcast, and waits up to BROADCAST_WAIT_MS (or \`Prefer: wait=N\`, at most MAX_WAIT_MS: ${maxWaitMs / 1000} s unless the deployment allows less) for the outcome.`,
      requestBody: transactionRequestSchema,
      requestHeaders: [
        {
          name: 'Idempotency-Key',
          description:
            'repeats with the same key (kept 24 h) return the same transaction; the same key with another body is 409',
          example: '6f1c0b7e-3d7a-4f5e-9a55-1b8f2d9e0c11',
        },
        {
          name: 'Prefer',
          description: 'RFC 7240: `respond-async` answers 202 at once; `wait=N` waits at most N s',
          example: 'wait=10',
        },
      ],
      responses: {
        200: transactionAnswer(
          'broadcast: `status` is `success` (or already `mined`, `confirmed`, `reverted`), `txHash` is set',
        ),
        202: transactionAnswer('accepted, not finished within the wait: `pending` or `retrying`; poll `Location`'),
        422: {
          description:
            'the chain rejected it for good within the wait (the transaction, `status` `failed`, `message` says why); or, refused before it was recorded, its worst-case cost is more than its signer can pay (an error `insufficient_balance` naming the balance and the cost)',
          schema: z.union([transactionViewSchema, errorBodySchema]),
          headers: transactionHeaders,
        },
        400: error('a wrong field, header or body: `details` names each one'),
        409: error('the Idempotency-Key was used for a different request'),
        413: error(`the body is larger than ${maxBodyBytes / 1024} KiB`),
        415: error('the body is not JSON'),
        503: error(notConfiguredAnswer),
      },
      async handler(event, caller) {
        refuseUnconfigured();
        const key = parseIdempotencyKey(event.headers['idempotency-key']);
        const body = readJsonBody(event);
        const { tx, replayed } = await submitTransaction(submitDeps, body, authenticated(caller), key);
        logger.info(replayed ? 'idempotent repeat' : 'transaction accepted', { transactionId: tx.id });
        const prefer = parsePrefer(event.headers.prefer, config.BROADCAST_WAIT_MS, config.MAX_WAIT_MS);
        const headers: Record<string, string> = {
          ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
          ...(prefer.applied ? { 'preference-applied': prefer.applied } : {}),
        };
        // A repeat's row is older than its wait: only a new one's time to `success` says where to read next.
        const times = replayed ? undefined : outcomeTimes;
        const outcome =
          prefer.waitMs > 0 ? await waitForOutcome(transactions, tx, prefer.waitMs, undefined, times) : tx;
        return answerFor(outcome, headers);
      },
    },
    getTransaction: {
      responses: {
        200: { description: 'the transaction', schema: transactionViewSchema },
        404: error('no transaction has this id'),
      },
      async handler(event, caller) {
        return json(200, toView(await readOwn(event, caller)));
      },
    },
    transactionEvents: {
      description:
        'For an admin, and for the client that submitted the transaction. One event per status change the updater applied, oldest first; `sequence` is its place (from 1), `id` the `webhook-id` of its deliveries. With a callback URL, each carries its delivery: attempts, the last answer (status and the first bytes of the body, or why none came), and the next attempt while it is retried.',
      responses: {
        200: { description: 'the events', schema: transactionEventsSchema },
        404: error('no transaction has this id'),
      },
      async handler(event, caller) {
        return json(200, await readTransactionEvents(services.events, await readOwn(event, caller)));
      },
    },
    listTransactions: {
      description: `Filtered by \`status\` and by creation time (\`from\` inclusive, \`to\` exclusive), ${listLimits.default} to a page unless \`limit\` says otherwise (at most ${listLimits.max}); \`cursor\` continues with the next, older page. Served from an index, never a scan. Transactions created while a client pages are newer than its cursor, so no page loses or repeats one.`,
      requestQuery: listQuerySchema,
      responses: {
        200: { description: 'one page, and on the first page the counts per status', schema: transactionListSchema },
        400: error('a wrong query parameter (`details` names it), or a cursor that is not one this query made'),
      },
      async handler(event) {
        return json(200, await listTransactions(transactions, event.queryStringParameters ?? {}));
      },
    },
    rebroadcastTransaction: {
      description:
        'Creates a new transaction with the same request (new id, `rebroadcastOf` naming this one; this one gets `rebroadcastAs`), which goes through the normal flow with a fresh nonce and fresh attempts. Only for a `failed` transaction. A repeat, or a concurrent call, returns the transaction the first one created.',
      responses: {
        201: {
          description: 'the new transaction, just accepted (`pending`)',
          schema: transactionViewSchema,
          headers: { Location: 'the new transaction: `/transactions/{id}`' },
        },
        200: {
          description: 'this transaction was rebroadcast before: the transaction that did it, as it is now',
          schema: transactionViewSchema,
          headers: {
            Location: 'the new transaction: `/transactions/{id}`',
            'Idempotent-Replayed': '`true`',
          },
        },
        404: error('no transaction has this id'),
        409: error('the transaction is not `failed`: it succeeded, or its outcome is not known yet'),
        503: error(notConfiguredAnswer),
      },
      async handler(event) {
        refuseUnconfigured();
        const { tx, replayed } = await rebroadcastTransaction(submitDeps, pathId(event));
        const location = locationOf(tx);
        return replayed
          ? json(200, toView(tx), { ...location, 'idempotent-replayed': 'true' })
          : json(201, toView(tx), location);
      },
    },
    cancelTransaction: {
      description:
        "For an admin, and for the client that submitted the transaction. Never signed: it ends `failed` at once, and no worker will sign it. Signed and not yet in a block: its nonce is replaced by a zero-value transfer to the sender at fees re-priced over its latest signature (within FEE_CAP_GWEI); if the cancel is mined it ends `failed` with `cancel` set and the receipt of the cancel, and if the original is mined first, the original's outcome stands. Waits like `POST /transactions` (BROADCAST_WAIT_MS, or `Prefer`). A repeat asks for nothing new and answers the state.",
      requestHeaders: [
        {
          name: 'Prefer',
          description: 'RFC 7240: `respond-async` answers 202 at once; `wait=N` waits at most N s',
          example: 'wait=10',
        },
      ],
      responses: {
        200: transactionAnswer('canceled: `status` is `failed` and `cancel` says who asked and when'),
        202: transactionAnswer(
          'the cancel is on its way (`cancel` is set; a cancel signature is in `hashes` once signed; `mined` with the cancel’s receipt short of depth); poll `Location`',
        ),
        404: error('no transaction has this id'),
        409: error(
          'too late: it is in a block (`mined`), or ended `confirmed`, `reverted` or `failed` before the cancel',
        ),
      },
      async handler(event, caller) {
        const id = pathId(event);
        const tx = await cancelTransaction(cancelDeps, id, authenticated(caller));
        const prefer = parsePrefer(event.headers.prefer, config.BROADCAST_WAIT_MS, config.MAX_WAIT_MS);
        const settled = prefer.waitMs > 0 ? await waitForOutcome(transactions, tx, prefer.waitMs, isSettled) : tx;
        const headers = { ...locationOf(settled), ...(prefer.applied ? { 'preference-applied': prefer.applied } : {}) };
        if (isCanceled(settled)) return json(200, toView(settled), headers);
        // The original was mined first while we waited: its outcome stands, and the answer says so.
        if (isTerminal(settled.status) || originalMined(settled)) throw notCancelable(settled);
        return json(202, toView(settled), headers);
      },
    },
    adminSigners: {
      description:
        "For each configured chain and each signer of the pool: its balance, the nonces it holds in flight and the most it may (MAX_IN_FLIGHT_PER_SIGNER), its counter's next nonce and the chain's mined nonce (read now), whether it is healthy and why not (a balance below LOW_BALANCE_WEI, or its next transaction stuck at the fee cap; the balance and health are at most BALANCE_CACHE_MS old), and how many of the chain's transactions wait for a signer. A chain whose RPC does not answer is reported in its `error`; the others are still read.",
      responses: {
        200: { description: 'the pool on every chain', schema: signersViewSchema },
      },
      async handler() {
        return json(200, await signersView());
      },
    },
    adminPage: {
      description:
        'A page for a browser. It holds no data and needs no token to load; it asks for an admin token and calls the admin routes with it.',
      responses: {
        200: {
          description: 'the page, with a Content-Security-Policy that allows only its own script and style',
          schema: z.string(),
          mediaType: 'text/html',
          headers: { 'Content-Security-Policy': "only the page's own inline script and style, by hash" },
        },
      },
      async handler() {
        return adminPage();
      },
    },
    health: {
      description: `Open, for load balancers and uptime checks, and shallow: is the service configured, and does its table answer? Read at most every ${healthCacheMs / 1000} s however many ask (the answer is shared). The queues, the chains, the signers, and a fresh read, are \`GET /admin/health\`.`,
      responses: {
        200: { description: 'configured, and the table answers', schema: healthSchema },
        503: { description: 'one of them does not: its check says why', schema: healthSchema },
      },
      async handler() {
        const health = await shallowHealth();
        return json(health.ok ? 200 : 503, health);
      },
    },
    adminHealth: {
      description:
        'For an admin, read now: what `GET /health` checks, each queue (`queue:<name>`), each chain (`chain:<id>`: its RPC answers, with that chain id), and each signer on each chain: whether it can pay for one plain transfer at today’s fees (`signer:<chain>:<address>`).',
      responses: {
        200: { description: 'all of them answer, and every signer can pay a transfer', schema: healthSchema },
        503: { description: 'one of them does not: its check says why', schema: healthSchema },
      },
      async handler() {
        const health = await checkHealth({
          ...healthDeps,
          deep: deepHealthDeps,
          extra: [...configurationProbe('admin'), ...(await signerProbes())],
        });
        return json(health.ok ? 200 : 503, health);
      },
    },
  };
  return routeTable.map(({ name, ...key }) => ({ ...key, ...details[name] }));
}

import type { Access } from '../auth/hasRole.ts';

/** A route of the HTTP API as plain data: method, path, the least role that may call it (`none`: open), summary. */
export type RouteKey = { method: 'GET' | 'POST'; path: string; access: Access; summary: string };

/**
 * The api's routes, as data: createApiRoutes.ts gives each its handler and documentation by `name`, and
 * the CDK stack declares each on API Gateway (with `openApiRouteKey`), with no runtime or SDK loaded.
 */
export const routeTable = [
  {
    name: 'submitTransaction',
    method: 'POST',
    path: '/transactions',
    access: 'client',
    summary: 'Submit a transaction',
  },
  {
    name: 'getTransaction',
    method: 'GET',
    path: '/transactions/{id}',
    access: 'client',
    summary: 'Read one transaction, with its attempt history',
  },
  {
    name: 'transactionEvents',
    method: 'GET',
    path: '/transactions/{id}/events',
    access: 'client',
    summary: 'The events of one transaction, each with its webhook delivery',
  },
  {
    name: 'listTransactions',
    method: 'GET',
    path: '/transactions',
    access: 'admin',
    summary: 'List transactions, newest first, with counts per status',
  },
  {
    name: 'rebroadcastTransaction',
    method: 'POST',
    path: '/transactions/{id}/rebroadcast',
    access: 'admin',
    summary: 'Send a failed transaction again, as a new transaction',
  },
  {
    name: 'cancelTransaction',
    method: 'POST',
    path: '/transactions/{id}/cancel',
    access: 'client',
    summary: 'Cancel a transaction not yet in a block',
  },
  {
    name: 'adminSigners',
    method: 'GET',
    path: '/admin/signers',
    access: 'admin',
    summary: 'The signer pool on each chain: balance, in flight, next and mined nonce, health; and how many wait',
  },
  {
    name: 'adminPage',
    method: 'GET',
    path: '/admin',
    access: 'none',
    summary: 'The admin page (HTML): every transaction, and the rebroadcast of a failed one',
  },
  {
    name: 'health',
    method: 'GET',
    path: '/health',
    access: 'none',
    summary: 'Whether the table, each queue and each chain answer (read at most every 10 s)',
  },
  {
    name: 'adminHealth',
    method: 'GET',
    path: '/admin/health',
    access: 'admin',
    summary: 'Every dependency and every signer on every chain, read now',
  },
] as const satisfies ReadonlyArray<RouteKey & { name: string }>;

/** The name by which createApiRoutes.ts gives a route of the table its handler. */
export type RouteName = (typeof routeTable)[number]['name'];

/**
 * `GET /openapi.json`, which the api handler adds beside the table itself (createApiHandler.ts,
 * openApiRoute.ts); test/infra/routes.test.ts checks the api serves it with this key.
 */
export const openApiRouteKey = { method: 'GET', path: '/openapi.json', access: 'none' } as const;

/** Every route the HTTP API has: the table's, and `GET /openapi.json`. */
export const httpApiRoutes: ReadonlyArray<Omit<RouteKey, 'summary'>> = [
  ...routeTable.map(({ method, path, access }) => ({ method, path, access })),
  openApiRouteKey,
];

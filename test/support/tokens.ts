/**
 * The bearer tokens every test gives the api, the handlers and the local runner: one pair, so that a
 * test names a role (`asClient`, `asAdmin`) and never a token string of its own.
 */
export const testTokens = { client: 'test-client-token', admin: 'test-admin-token' } as const;

/** The environment that makes the api (in `AUTH_MODE=local`) accept exactly `testTokens`. */
export const tokenEnv = { API_TOKEN: testTokens.client, ADMIN_TOKEN: testTokens.admin, AUTH_MODE: 'local' };

/** The Authorization header that presents `token`. */
export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

/** The headers of a caller with the client role. */
export const asClient = bearer(testTokens.client);

/** The headers of a caller with the admin role. */
export const asAdmin = bearer(testTokens.admin);

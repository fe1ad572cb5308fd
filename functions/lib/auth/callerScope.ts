import { bearerToken } from './authenticate.ts';
import { hashToken } from './hashToken.ts';

/**
 * A stable, pseudonymous name for the caller of an authenticated request: the first 16 hex digits
 * of its token's SHA-256 (never the token). Idempotency keys are kept per caller, so two clients that
 * happen to pick the same key neither collide nor see each other's transactions. Behind the Lambda
 * authorizer the header is the one it allowed, so the same name comes out.
 */
export function callerScope(authorization: string | undefined): string {
  const token = bearerToken(authorization);
  return token ? hashToken(token).slice(0, 16) : 'anonymous';
}

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { ForbiddenError, UnauthorizedError } from '../errors/errors.ts';
import { clientNameSchema } from '../transactions/clientName.ts';
import { authenticate } from './authenticate.ts';
import type { Caller } from './Caller.ts';
import { type Access, hasRole, roles } from './hasRole.ts';
import type { TokenSource } from './TokenSource.ts';

/** What API Gateway puts on the event once the Lambda authorizer allowed a request. */
const authorizerContextSchema = z.object({
  authorizer: z.object({ lambda: z.object({ role: z.enum(roles), client: clientNameSchema }) }),
});

/** Checks that a request may use a route of `access`; resolves the caller (none for open routes). */
export type AccessCheck = (
  event: Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'>,
  access: Access,
) => Promise<Caller | undefined>;

export type AccessCheckOptions = { mode: 'local'; tokens: TokenSource } | { mode: 'authorizer' };

/**
 * The api's access check. `local`: the api checks the bearer token itself. `authorizer`: API Gateway's
 * Lambda authorizer already did and passed the caller (client name and role) on the event; the route's
 * role is checked here.
 */
export function createAccessCheck(options: AccessCheckOptions): AccessCheck {
  async function callerOf(event: Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'>): Promise<Caller> {
    if (options.mode === 'local') return authenticate(options.tokens, event.headers.authorization);
    const context = authorizerContextSchema.safeParse(event.requestContext);
    if (!context.success) throw new UnauthorizedError(event.headers.authorization !== undefined);
    const { role, client } = context.data.authorizer.lambda;
    return { role, client };
  }

  return async (event, access) => {
    if (access === 'none') return undefined;
    const caller = await callerOf(event);
    if (!hasRole(caller.role, access)) throw new ForbiddenError(caller.role, access);
    return caller;
  };
}

import type { Config } from '../config/loadConfig.ts';
import { type AccessCheck, createAccessCheck } from './createAccessCheck.ts';
import { createTokenSource } from './createTokenSource.ts';

/** The api's access check as the configuration names it: tokens checked here (`local`), or the authorizer's caller trusted. */
export function accessCheckFor(config: Config): AccessCheck {
  return createAccessCheck(
    config.AUTH_MODE === 'local' ? { mode: 'local', tokens: createTokenSource(config) } : { mode: 'authorizer' },
  );
}

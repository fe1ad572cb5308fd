import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../config/awsClientConfig.ts';
import { type Config, devTokens } from '../config/loadConfig.ts';
import { ConfigError } from '../errors/errors.ts';
import { localAdminName, localDefaultClientName } from '../transactions/clientName.ts';
import { createLocalTokenSource } from './createLocalTokenSource.ts';
import { createSecretsTokenSource } from './createSecretsTokenSource.ts';
import type { TokenSource } from './TokenSource.ts';

/**
 * The token source the configuration names: the secret at `TOKEN_SECRET_ARN` when set, else
 * `API_TOKEN` (client `default`), `API_TOKENS` (named clients) and `ADMIN_TOKEN` (`admin`). On Lambda the
 * public dev tokens are refused at cold start.
 */
export function createTokenSource(config: Config): TokenSource {
  if (config.TOKEN_SECRET_ARN) {
    const client = new SecretsManagerClient(awsClientConfig(config, 'SECRETS_MANAGER'));
    return createSecretsTokenSource(client, config.TOKEN_SECRET_ARN);
  }
  const dev: string[] = [devTokens.client, devTokens.admin];
  const configured = [config.API_TOKEN, config.ADMIN_TOKEN, ...config.API_TOKENS.map((t) => t.token)];
  const usesDevToken = configured.some((token) => dev.includes(token));
  if (config.AWS_LAMBDA_FUNCTION_NAME && usesDevToken) {
    throw new ConfigError(
      'the public dev tokens are refused on Lambda, in API_TOKEN, API_TOKENS or ADMIN_TOKEN: set TOKEN_SECRET_ARN (or tokens of your own)',
    );
  }
  return createLocalTokenSource([
    { client: localDefaultClientName, role: 'client', token: config.API_TOKEN },
    ...config.API_TOKENS.map((t) => ({ ...t, role: 'client' as const })),
    { client: localAdminName, role: 'admin', token: config.ADMIN_TOKEN },
  ]);
}

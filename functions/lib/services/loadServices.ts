import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ReadSecret, resolveRpcUrls } from '../chain/resolveRpcUrls.ts';
import { awsClientConfig } from '../config/awsClientConfig.ts';
import { type Config, loadConfig } from '../config/loadConfig.ts';
import { createServices, type Services } from './createServices.ts';

/**
 * A handler's cold start: reads the environment, fetches what must not be in it in clear (the RPC
 * URLs, from `CHAINS_SECRET_ARN` on AWS), and builds the services. `chains: false` for a handler that
 * never talks to a chain, so it needs no access to the secret.
 */
export async function loadServices(serviceName: string, options: { chains?: boolean } = {}): Promise<Services> {
  const config = loadConfig();
  const rpcUrls = options.chains === false ? {} : await resolveRpcUrls(config, secretReader(config));
  return createServices(config, serviceName, rpcUrls, secretReader(config));
}

function secretReader(config: Config): ReadSecret {
  return async (secretId) => {
    const client = new SecretsManagerClient(awsClientConfig(config, 'SECRETS_MANAGER'));
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  };
}

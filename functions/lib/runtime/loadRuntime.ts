import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ReadSecret, resolveRpcUrls } from '../chain/resolveRpcUrls.ts';
import { type Config, loadConfig } from '../config/loadConfig.ts';
import { createRuntime, type Runtime } from './createRuntime.ts';

/**
 * A handler's cold start: reads the environment, fetches what must not be in it in clear (the RPC
 * URLs, from `CHAINS_SECRET_ARN` on AWS), and builds the runtime. `chains: false` for a handler that
 * never talks to a chain, so it needs no access to the secret.
 */
export async function loadRuntime(serviceName: string, options: { chains?: boolean } = {}): Promise<Runtime> {
  const config = loadConfig();
  const rpcUrls = options.chains === false ? {} : await resolveRpcUrls(config, secretReader(config));
  return createRuntime(config, serviceName, rpcUrls);
}

function secretReader(config: Config): ReadSecret {
  return async (secretId) => {
    const endpoint = config.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? config.AWS_ENDPOINT_URL;
    const client = new SecretsManagerClient({ region: config.AWS_REGION, ...(endpoint ? { endpoint } : {}) });
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  };
}

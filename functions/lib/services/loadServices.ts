import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChainsSecretUnfilledError, type ReadSecret, type RpcUrls, resolveRpcUrls } from '../chain/resolveRpcUrls.ts';
import { awsClientConfig } from '../config/awsClientConfig.ts';
import { type Config, loadConfig } from '../config/loadConfig.ts';
import { createServices, type Services } from './createServices.ts';

/**
 * A handler's cold start: reads the environment, fetches what must not be in it in clear (the RPC
 * URLs, from `CHAINS_SECRET_ARN` on AWS), and builds the services. `chains: false` for a handler that
 * never talks to a chain, so it needs no access to the secret; `deferCounts` for a handler that flushes
 * the status counts after each batch (`transactions.flushCounts`).
 */
export async function loadServices(
  serviceName: string,
  options: { chains?: boolean; readSecret?: ReadSecret; env?: NodeJS.ProcessEnv; deferCounts?: boolean } = {},
): Promise<Services> {
  const config = loadConfig(options.env);
  const readSecret = options.readSecret ?? secretReader(config);
  // A chains secret not filled yet (a fresh stack) leaves the service up but *unconfigured*: it says what
  // is missing (health 503) and takes nothing, instead of failing every cold start.
  const unconfigured: string[] = [];
  let rpcUrls: RpcUrls = {};
  if (options.chains !== false) {
    try {
      rpcUrls = await resolveRpcUrls(config, readSecret);
    } catch (error) {
      if (!(error instanceof ChainsSecretUnfilledError)) throw error;
      unconfigured.push(error.message);
    }
  }
  return createServices(config, serviceName, rpcUrls, readSecret, unconfigured, {
    deferCounts: options.deferCounts ?? false,
  });
}

function secretReader(config: Config): ReadSecret {
  return async (secretId) => {
    const client = new SecretsManagerClient(awsClientConfig(config, 'SECRETS_MANAGER'));
    return (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  };
}

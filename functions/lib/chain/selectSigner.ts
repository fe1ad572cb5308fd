import { KMSClient } from '@aws-sdk/client-kms';
import type { Hex } from 'viem';
import { awsClientConfig } from '../config/awsClientConfig.ts';
import type { Config } from '../config/loadConfig.ts';
import { ConfigError } from '../errors/errors.ts';
import { createKmsSigner } from './createKmsSigner.ts';
import { createLocalSigner } from './createLocalSigner.ts';
import type { Signer } from './Signer.ts';

/**
 * The signer the configuration names: the KMS key when `KMS_KEY_ID` is set, else the local key, which
 * only the local runner and the tests may use (`LOCAL_SIGNER_ALLOWED`) and never on Lambda. Refuses
 * at once; the KMS key's address is fetched on first use and kept (a failed fetch is tried again).
 */
export function selectSigner(config: Config): () => Promise<Signer> {
  const keyId = config.KMS_KEY_ID;
  if (keyId) {
    let signer: Promise<Signer> | undefined;
    return () => {
      signer ??= createKmsSigner(createKmsClient(config), keyId).catch((error: unknown) => {
        signer = undefined;
        throw error;
      });
      return signer;
    };
  }
  if (!config.LOCAL_SIGNER_ALLOWED || config.AWS_LAMBDA_FUNCTION_NAME) {
    throw new ConfigError(
      'KMS_KEY_ID is required: the local signing key is only for the local runner (LOCAL_SIGNER_ALLOWED=true, never on Lambda)',
    );
  }
  const local = createLocalSigner(config.SIGNER_PRIVATE_KEY as Hex);
  return async () => local;
}

function createKmsClient(config: Config): KMSClient {
  return new KMSClient({
    ...awsClientConfig(config, 'KMS'),
    // Adaptive: after a throttle the client slows itself down instead of hammering the account's shared Sign quota.
    retryMode: 'adaptive',
    maxAttempts: 5,
  });
}

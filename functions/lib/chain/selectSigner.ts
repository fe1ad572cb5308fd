import { KMSClient } from '@aws-sdk/client-kms';
import type { Hex } from 'viem';
import { awsClientConfig } from '../config/awsClientConfig.ts';
import { anvilDevKey, type Config } from '../config/loadConfig.ts';
import { ConfigError } from '../errors/errors.ts';
import { createKmsSigner } from './createKmsSigner.ts';
import { createLocalSigner } from './createLocalSigner.ts';
import { type SignerSet, signerSet } from './Signer.ts';

/**
 * The signer pool the configuration names: the KMS keys when `KMS_KEY_IDS` (or `KMS_KEY_ID`) is set,
 * else the local keys (`SIGNER_PRIVATE_KEYS`, `SIGNER_PRIVATE_KEY`, or anvil's first dev key), which only
 * the local runner and the tests may use (`LOCAL_SIGNER_ALLOWED`) and never on Lambda. Refuses at once;
 * the KMS keys' addresses are fetched on first use and kept (a failed fetch is tried again).
 */
export function selectSigners(config: Config): () => Promise<SignerSet> {
  const keyIds = config.KMS_KEY_IDS.length > 0 ? config.KMS_KEY_IDS : config.KMS_KEY_ID ? [config.KMS_KEY_ID] : [];
  if (keyIds.length > 0) {
    let pool: Promise<SignerSet> | undefined;
    return () => {
      pool ??= kmsPool(config, keyIds).catch((error: unknown) => {
        pool = undefined;
        throw error;
      });
      return pool;
    };
  }
  if (!config.LOCAL_SIGNER_ALLOWED || config.AWS_LAMBDA_FUNCTION_NAME) {
    throw new ConfigError(
      'KMS_KEY_IDS is required: the local signing keys are only for the local runner (LOCAL_SIGNER_ALLOWED=true, never on Lambda)',
    );
  }
  const keys =
    config.SIGNER_PRIVATE_KEYS.length > 0 ? config.SIGNER_PRIVATE_KEYS : [config.SIGNER_PRIVATE_KEY ?? anvilDevKey];
  const local = signerSet(keys.map((key) => createLocalSigner(key as Hex)));
  return async () => local;
}

async function kmsPool(config: Config, keyIds: string[]): Promise<SignerSet> {
  const client = createKmsClient(config);
  const signers = await Promise.all(keyIds.map((keyId) => createKmsSigner(client, keyId)));
  if (new Set(signers.map((s) => s.address.toLowerCase())).size !== signers.length) {
    throw new ConfigError('KMS_KEY_IDS names one key twice (two of its ids have the same address)');
  }
  return signerSet(signers);
}

function createKmsClient(config: Config): KMSClient {
  return new KMSClient({
    ...awsClientConfig(config, 'KMS'),
    // Adaptive: after a throttle the client slows itself down instead of hammering the account's shared Sign quota.
    retryMode: 'adaptive',
    maxAttempts: 5,
  });
}

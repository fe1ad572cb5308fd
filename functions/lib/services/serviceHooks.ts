import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Signer } from '../chain/Signer.ts';

/**
 * Observers a benchmark installs before the handlers load (`Object.assign(serviceHooks, {...})`), to count
 * what a transaction costs. Empty in production: every hook is optional and nothing calls one unless set.
 */
export type ServiceHooks = {
  /** Each AWS SDK client a process's services (or the local runner, as `local-runner`) builds, e.g. to add a counting middleware. */
  awsClient?: (client: DynamoDBClient | SQSClient, owner: string) => void;
  /** Each JSON-RPC request to a chain, before it is sent. */
  rpcRequest?: (chainId: number, method: string, owner: string) => void;
  /** Each signer of the services' pool, once resolved; returns the signer to use (e.g. one that counts signatures). */
  signer?: (signer: Signer, owner: string) => Signer;
};

/** The hooks installed in this process; none unless a benchmark sets them. */
export const serviceHooks: ServiceHooks = {};

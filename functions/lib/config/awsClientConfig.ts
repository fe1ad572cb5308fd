import type { Config } from './loadConfig.ts';

/** The AWS services the handlers talk to, by the suffix of their `AWS_ENDPOINT_URL_<SERVICE>` variable. */
export type AwsService = 'DYNAMODB' | 'SQS' | 'KMS' | 'SECRETS_MANAGER';

/** The endpoint a service's client uses: its own `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else AWS's. */
export function awsEndpoint(config: Config, service: AwsService): string | undefined {
  return config[`AWS_ENDPOINT_URL_${service}`] ?? config.AWS_ENDPOINT_URL;
}

/** The region and endpoint of one AWS SDK client, as the configuration names them. */
export function awsClientConfig(config: Config, service: AwsService): { region: string; endpoint?: string } {
  const endpoint = awsEndpoint(config, service);
  return { region: config.AWS_REGION, ...(endpoint ? { endpoint } : {}) };
}

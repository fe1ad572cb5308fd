import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';

/** `ok` only when every check answers `ok`; each other check says why it is unavailable. */
export const healthSchema = z
  .strictObject({ ok: z.boolean(), checks: z.record(z.string(), z.string()) })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof healthSchema>;

const describe = (error: unknown) => (error instanceof Error ? error.name : 'error');

/** A check of its own: resolves to undefined when all is well, or to what is wrong; a throw is "unavailable". */
export type HealthProbe = [name: string, probe: () => Promise<string | undefined>];

/**
 * Asks the table, each queue and each chain to answer, and runs the `extra` checks (the signers' balances);
 * healthy only when all of them are.
 */
export async function checkHealth(deps: {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tableName: string;
  queueUrls: Record<string, string>;
  chains: ChainRegistry;
  extra?: readonly HealthProbe[];
}): Promise<Health> {
  const probes: Array<[string, () => Promise<unknown>]> = [
    ['table', () => deps.dynamo.send(new DescribeTableCommand({ TableName: deps.tableName }))],
    ...Object.entries(deps.queueUrls).map(([name, url]): [string, () => Promise<unknown>] => [
      `queue:${name}`,
      () => deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
    ]),
    ...deps.chains.chainIds().map((id): [string, () => Promise<unknown>] => [
      `chain:${id}`,
      async () => {
        const answered = await deps.chains.client(id).getChainId();
        if (answered !== id) throw new Error(`the RPC answers chain ${answered}`);
      },
    ]),
    ...(deps.extra ?? []),
  ];
  const results = await Promise.all(
    probes.map(async ([name, probe]) => {
      try {
        const wrong = await probe();
        return [name, typeof wrong === 'string' ? wrong : 'ok'] as const;
      } catch (error) {
        return [name, `unavailable (${describe(error)})`] as const;
      }
    }),
  );
  return { ok: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
}

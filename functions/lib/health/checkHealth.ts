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
 * Asks the table to answer, and with `deep` each queue and each chain too, and runs the `extra` checks (the
 * configuration, the signers' balances); healthy only when all of them are. The open probe is shallow (the
 * table and the configuration: is this service up and able to take a request?); what it depends on
 * further is the admin's deep one.
 */
export async function checkHealth(deps: {
  dynamo: DynamoDBClient;
  tableName: string;
  deep?: { sqs: SQSClient; queueUrls: Record<string, string>; chains: ChainRegistry };
  extra?: readonly HealthProbe[];
}): Promise<Health> {
  const deepProbes = ({ sqs, queueUrls, chains }: NonNullable<typeof deps.deep>): HealthProbe[] => [
    ...Object.entries(queueUrls).map(
      ([name, url]): HealthProbe => [
        `queue:${name}`,
        async () => {
          await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
          return undefined;
        },
      ],
    ),
    ...chains.chainIds().map(
      (id): HealthProbe => [
        `chain:${id}`,
        async () => {
          const answered = await chains.client(id).getChainId();
          if (answered !== id) throw new Error(`the RPC answers chain ${answered}`);
          return undefined;
        },
      ],
    ),
  ];
  const probes: HealthProbe[] = [
    [
      'table',
      async () => {
        await deps.dynamo.send(new DescribeTableCommand({ TableName: deps.tableName }));
        return undefined;
      },
    ],
    ...(deps.deep ? deepProbes(deps.deep) : []),
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

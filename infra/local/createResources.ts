import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { tableDefinition } from '../../functions/lib/store/tableDesign.ts';
import { type QueueName, queueNames, retention } from '../topology.ts';

export type QueueUrls = Record<QueueName, string>;

/**
 * Creates the table if it is missing (dynalite keeps it on disk across restarts) and waits until it is
 * ACTIVE (a read of a table still CREATING is "not found"), and says which of the design's indexes it
 * has: a table made before an index was added keeps lacking it (dynalite cannot add one). `created`: it
 * was made now, so it holds nothing.
 */
export async function ensureTable(
  dynamo: DynamoDBClient,
  tableName: string,
): Promise<{ indexes: Set<string>; missing: string[]; created: boolean }> {
  const designed = (tableDefinition(tableName).GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? '');
  try {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const present = new Set((out.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? ''));
    return { indexes: present, missing: designed.filter((name) => !present.has(name)), created: false };
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
    await dynamo.send(new CreateTableCommand(tableDefinition(tableName)));
    await waitUntilTableExists(
      { client: dynamo, minDelay: 0.05, maxDelay: 0.5, maxWaitTime: 30 },
      { TableName: tableName },
    );
    return { indexes: new Set(designed), missing: [], created: true };
  }
}

/**
 * Creates the topology's queues, each with a dead-letter queue after `maxReceiveCount` deliveries and the
 * retention of the topology, as the CDK stack does on AWS.
 */
export async function ensureQueues(
  sqs: SQSClient,
  options: { prefix: string; visibilityTimeoutSeconds: number },
): Promise<QueueUrls> {
  const create = async (name: string, attributes: Record<string, string>) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `${options.prefix}${name}`, Attributes: attributes })))
      .QueueUrl ?? '';
  const withDlq = async (name: string) => {
    const dlqUrl = await create(`${name}-dlq`, { MessageRetentionPeriod: String(retention.deadLetterSeconds) });
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn;
    return create(name, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(retention.queueSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: arn,
        maxReceiveCount: String(retention.maxReceiveCount),
      }),
    });
  };
  const made = await Promise.all(queueNames.map(async (name) => [name, await withDlq(name)] as const));
  return Object.fromEntries(made) as QueueUrls;
}

/** The URL of a queue's dead-letter queue (`<name>-dlq` beside it: a queue URL ends with the queue's name). */
export function deadLetterUrlOf(queueUrl: string): string {
  return `${queueUrl}-dlq`;
}

import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { TestStack } from './startTestStack.ts';

/** Transactions in the table (the byKind index) and messages on the requests queue, visible or in flight. */
export async function tableCounts(stack: TestStack): Promise<{ rows: number; messages: number }> {
  let rows = 0;
  const pages = paginateQuery(
    { client: stack.doc },
    {
      TableName: stack.tableName,
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :kind',
      ExpressionAttributeValues: { ':kind': 'tx' },
      Select: 'COUNT',
    },
  );
  for await (const page of pages) rows += page.Count ?? 0;
  const attributes = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.queues.requests,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const messages =
    Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  return { rows, messages };
}

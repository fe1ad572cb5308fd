import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

/** The entries one partition of an index holds, as the index copies them (tests look inside the indexes with it). */
export async function indexEntries(
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexName: string,
  partition: { name: string; value: string },
): Promise<Record<string, unknown>[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: indexName,
      KeyConditionExpression: '#p = :v',
      ExpressionAttributeNames: { '#p': partition.name },
      ExpressionAttributeValues: { ':v': partition.value },
    }),
  );
  return out.Items ?? [];
}

import {
  type DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** True when DynamoDB refused a write because its condition did not hold. */
function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * An update whose condition may not hold. Resolves with the attributes `ReturnValues` asked for (an empty
 * object when it asked for none), or undefined when the condition did not hold; any other failure throws.
 */
export async function conditionalUpdate(
  doc: DynamoDBDocumentClient,
  input: UpdateCommandInput,
): Promise<Record<string, unknown> | undefined> {
  try {
    const out = await doc.send(new UpdateCommand(input));
    return out.Attributes ?? {};
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Sets the number `attribute` of an existing item (of any item, creating it, with `mayCreate`) to `value`
 * unless it already is at least that: a mark that only moves forward, however many writers race to move it.
 */
export async function raiseNumber(
  doc: DynamoDBDocumentClient,
  TableName: string,
  Key: Record<string, unknown>,
  attribute: string,
  value: number,
  options: { mayCreate?: boolean } = {},
): Promise<void> {
  const forward = 'attribute_not_exists(#mark) OR #mark < :n'; // -- only forward
  await conditionalUpdate(doc, {
    TableName,
    Key,
    UpdateExpression: 'SET #mark = :n',
    ConditionExpression: options.mayCreate ? forward : `attribute_exists(pk) AND (${forward})`,
    ExpressionAttributeNames: { '#mark': attribute },
    ExpressionAttributeValues: { ':n': value },
  });
}

/** A put whose condition may not hold: true when the item was written, false when the condition did not hold. */
export async function conditionalPut(doc: DynamoDBDocumentClient, input: PutCommandInput): Promise<boolean> {
  try {
    await doc.send(new PutCommand(input));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

import type { SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { fromZodError } from '../errors/fromZodError.ts';

/** Validates one SQS record's JSON body at the edge. */
export function parseRecord<T extends z.ZodType>(record: SQSRecord, schema: T): z.infer<T> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error, `message ${record.messageId}`);
  return parsed.data;
}

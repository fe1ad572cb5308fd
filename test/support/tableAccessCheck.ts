import { appendFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, expect } from 'vitest';
import { serviceHooks } from '../../functions/lib/services/serviceHooks.ts';
import { type TableAction, tableAccess } from '../../infra/topology.ts';

/**
 * Every integration test file checks the stack's table grants (infra/topology.ts `tableAccess`): each
 * DynamoDB request a function's services send (the handlers the test loads, under their service names) must
 * be one the stack lets that function make, or it would be refused on AWS, where the grants are per function.
 * Loaded as a setup file of the integration project, before the test file imports any handler.
 */
const seen = new Map<string, Set<string>>();
const previous = serviceHooks.awsClient;

serviceHooks.awsClient = (client: DynamoDBClient | SQSClient, owner: string) => {
  previous?.(client, owner);
  if (!(client instanceof DynamoDBClient) || !(owner in tableAccess)) return;
  client.middlewareStack.add(
    (next, context) => (args) => {
      // The document client's commands reach this stack under the low-level names (GetItemCommand...).
      const action = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const actions = seen.get(owner) ?? new Set<string>();
      seen.set(owner, actions.add(action));
      return next(args);
    },
    { step: 'initialize', name: 'tableAccessCheck' },
  );
};

afterAll(() => {
  // TABLE_ACCESS_LOG=<file>: appends what each function sent, to see which grants no test uses.
  const log = process.env.TABLE_ACCESS_LOG;
  if (log) {
    for (const [owner, actions] of seen) appendFileSync(log, `${owner} ${[...actions].sort().join(' ')}\n`);
  }
  for (const [owner, actions] of seen) {
    const granted: readonly TableAction[] = tableAccess[owner as keyof typeof tableAccess];
    const refused = [...actions].filter((a) => !granted.includes(a as TableAction));
    expect(refused, `the ${owner} function sends DynamoDB requests its grants (tableAccess) do not allow`).toEqual([]);
  }
});

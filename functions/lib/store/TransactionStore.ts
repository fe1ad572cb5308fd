import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createIntakeWrites, type IntakeWrites } from './IntakeWrites.ts';
import { createOutcomeWrites, type OutcomeWrites } from './OutcomeWrites.ts';
import { createSigningWrites, type SigningWrites } from './SigningWrites.ts';
import { createStatusCounts, type LostCount } from './StatusCounts.ts';
import { createSweepWrites, type SweepWrites } from './SweepWrites.ts';
import { createTransactionReads, type TransactionReads } from './TransactionReads.ts';

/**
 * The transactions table, as the domain sees it: the reads, and each caller's writes (the api's
 * intake, the broadcaster's signing, the updater's outcomes, the sweep's postponing). A caller's
 * dependencies name only the part it uses.
 */
export type TransactionStore = TransactionReads &
  IntakeWrites &
  SigningWrites &
  OutcomeWrites &
  SweepWrites & {
    /** Writes the status counts kept since the last flush: deferred counters only (`deferred`). */
    flushCounts(): Promise<void>;
  };

/**
 * The transactions table on DynamoDB (or dynalite). The writers that change a transaction's status also
 * count it per day (StatusCounts.ts); a count write that fails is handed to `onCountLost`.
 * `deferred`: the counts are kept until `flushCounts`, and written one per day then.
 */
export function createTransactionStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: { onCountLost?: (lost: LostCount) => void; deferred?: boolean } = {},
): TransactionStore {
  const counts = createStatusCounts(doc, tableName, options);
  return {
    ...createTransactionReads(doc, tableName, counts),
    ...createIntakeWrites(doc, tableName),
    ...createSigningWrites(doc, tableName),
    ...createOutcomeWrites(doc, tableName, counts),
    ...createSweepWrites(doc, tableName),
    flushCounts: () => counts.flush(),
  };
}

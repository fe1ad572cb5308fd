import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createIntakeWrites, type IntakeWrites } from './IntakeWrites.ts';
import { createOutcomeWrites, type OutcomeWrites } from './OutcomeWrites.ts';
import { createSigningWrites, type SigningWrites } from './SigningWrites.ts';
import { createSweepWrites, type SweepWrites } from './SweepWrites.ts';
import { createTransactionReads, type TransactionReads } from './TransactionReads.ts';

/**
 * The transactions table, as the domain sees it: the reads, and each caller's writes (the api's
 * intake, the broadcaster's signing, the updater's outcomes, the sweep's postponing). A caller's
 * dependencies name only the part it uses.
 */
export type TransactionStore = TransactionReads & IntakeWrites & SigningWrites & OutcomeWrites & SweepWrites;

/** The transactions table on DynamoDB (or dynalite). */
export function createTransactionStore(doc: DynamoDBDocumentClient, tableName: string): TransactionStore {
  return {
    ...createTransactionReads(doc, tableName),
    ...createIntakeWrites(doc, tableName),
    ...createSigningWrites(doc, tableName),
    ...createOutcomeWrites(doc, tableName),
    ...createSweepWrites(doc, tableName),
  };
}

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createStatusCounts } from '../../functions/lib/store/StatusCounts.ts';
import { sweepLeaseKey } from '../../functions/lib/store/SweepLease.ts';
import { leftDays } from './atomicDynalite.ts';
import { repairIndexes, repairStatusCounts } from './repairIndexes.ts';

/**
 * What the last run of the runner's own dynalite left in the data directory, read before this run's
 * dynalite starts (it opens a count journal of its own):
 * - `dynamodb-clean-stop`: written when the table was closed cleanly; gone after a kill;
 * - `dynamodb-atomic-writes`: written once every write since the last repair was atomic (item and index
 *   entries in one batch), so a kill can leave no torn index, only counts short on the journaled days;
 * - `dynamodb-days/`: the count journal, each day's status changes and counts written (unbalanced: to recount).
 */
const cleanStopMark = (dataDir: string) => join(dataDir, 'dynamodb-clean-stop');
const atomicWritesMark = (dataDir: string) => join(dataDir, 'dynamodb-atomic-writes');

export type LocalTableMarks = {
  journalDir: string;
  stoppedCleanly: boolean;
  wasAtomic: boolean;
  left: { days: string[]; files: string[] };
};

export function readLocalTableMarks(dataDir: string): LocalTableMarks {
  const journalDir = join(dataDir, 'dynamodb-days');
  return {
    journalDir,
    stoppedCleanly: existsSync(cleanStopMark(dataDir)),
    wasAtomic: existsSync(atomicWritesMark(dataDir)),
    left: leftDays(journalDir),
  };
}

/**
 * Puts right what the last run left, before anything writes (the pollers and the api start after):
 * the indexes after an unclean stop unless every write was atomic, the day counters of the journaled
 * days (after a clean stop too: a count write can fail while the table runs; every day after an unclean
 * stop without a journal, or once on a table made before counters), a
 * new table's counters marked as covering every day, and the sweep lease of a killed runner let go (the
 * runner is its table's only user). From here on every write is atomic: the marks say so.
 */
export async function mendLocalTable(
  doc: DynamoDBDocumentClient,
  tableName: string,
  table: { created: boolean; indexes: ReadonlySet<string> },
  dataDir: string,
  marks: LocalTableMarks,
  logger: Logger,
): Promise<void> {
  rmSync(cleanStopMark(dataDir), { force: true });
  if (table.created) {
    // A new table's counters cover every day from its first write: marked now, so that a kill before any
    // admin count read recounts only the days journaled, not every day.
    await createStatusCounts(doc, tableName).since();
  } else {
    if (!marks.stoppedCleanly && !marks.wasAtomic) {
      const repaired = await repairIndexes(doc, tableName, table.indexes);
      if (repaired > 0) logger.warn('repaired index entries left by an unclean stop', { repaired });
    }
    // The admin's day counters, from the indexes just repaired.
    const recounted = await repairStatusCounts(doc, tableName, {
      uncleanStop: !marks.stoppedCleanly,
      present: table.indexes,
      // A clean stop may leave days too: a count write that failed while the table ran.
      ...(marks.wasAtomic || marks.stoppedCleanly ? { days: marks.left.days } : {}),
    });
    if (recounted !== undefined) logger.info('recounted the transactions per status of each day', { recounted });
  }
  for (const file of marks.left.files) rmSync(file, { force: true });
  writeFileSync(atomicWritesMark(dataDir), `${new Date().toISOString()}\n`);
  await doc.send(new DeleteCommand({ TableName: tableName, Key: sweepLeaseKey }));
}

/** Every write finished and the table closed: its indexes need no repair at the next start. */
export function markCleanStop(dataDir: string): void {
  writeFileSync(cleanStopMark(dataDir), `${new Date().toISOString()}\n`);
}

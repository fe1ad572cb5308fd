import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rebuildStatusCounts, recountDay } from '../functions/lib/store/recountStatusCounts.ts';
import { countedStatuses } from '../functions/lib/store/StatusCounts.ts';

const usage = `usage: npm run recount-counts -- --table <name> --day <YYYY-MM-DD> [--day ...]
       npm run recount-counts -- --table <name> --all
`;

const help = `${usage}
Rebuilds the admin's status counters (the count#<day>#<shard> items) of a deployed table from its byStatus
index, with the AWS credentials and region of the shell (AWS_PROFILE, AWS_REGION; AWS_ENDPOINT_URL_DYNAMODB
for an emulator). The table is the stack's TableName output.

--day      one creation day (UTC), for a day left short: a Lambda cut off between a status write and its
           count, or a WARN "a status count was not written" in the logs, which names the day.
--all      every day, one pass over the index, then marks every day as counted (count#since): for a table
           made before the counters, so that the admin's counts stop reading old days from the index.

A recount writes absolute numbers, read while it runs: a status change made on that day while it reads
is lost or counted twice. Recount a day whose transactions have settled, or run it again once they have.
It reads the index entries of the days once (keys only) and writes one item per day and shard.
`;

/** What a run printed, and its exit code. */
export type RecountResult = { code: number; stdout: string; stderr: string };

type Request = { table: string; days: string[]; all: boolean };

/** A calendar day as `toISOString()` writes it: `Date.parse` takes 2026-02-30 (as 2026-03-02), this does not. */
const isDay = (value: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) &&
  !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
  new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;

function parseArgs(args: string[]): Request | string {
  let table: string | undefined;
  const days: string[] = [];
  let all = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--table' || arg === '--day') {
      if (value === undefined || value.startsWith('--')) return `${arg} needs a value`;
      i++;
      if (arg === '--table') {
        if (table !== undefined && table !== value) return `--table given twice (${table}, ${value})`;
        table = value;
      } else if (!isDay(value)) return `--day ${value}: not a day (YYYY-MM-DD, UTC)`;
      else days.push(value);
    } else if (arg === '--all') all = true;
    else return `unknown argument ${arg}`;
  }
  if (!table) return '--table is required (the stack output TableName)';
  if (all && days.length > 0) return 'give --day (one or more) or --all, not both';
  if (!all && days.length === 0) return 'say what to recount: --day (one or more) or --all';
  return { table, days, all };
}

/** `npm run recount-counts`: rebuilds the day counters of `--day` days, or of every day with `--all`. */
export async function recountCounts(
  args: string[],
  doc: DynamoDBDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({})),
): Promise<RecountResult> {
  if (args.includes('--help') || args.includes('-h')) return { code: 0, stdout: help, stderr: '' };
  const request = parseArgs(args);
  if (typeof request === 'string') return { code: 1, stdout: '', stderr: `${request}\n${usage}` };
  // What was written before a failure is said too: the days already recounted stand.
  let stdout = '';
  try {
    if (request.all) {
      const days = await rebuildStatusCounts(doc, request.table);
      return { code: 0, stdout: `recounted ${days} day(s) of ${request.table}; every day is counted\n`, stderr: '' };
    }
    for (const day of request.days) {
      const tally = await recountDay(doc, request.table, day);
      const shown = countedStatuses.map((s) => `${s} ${tally[s]}`).join(', ');
      stdout += `${day}: ${shown} (pending is counted from the index at each read)\n`;
    }
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return { code: 1, stdout, stderr: `could not recount ${request.table}: ${name}: ${message}\n` };
  }
}

if (import.meta.main) {
  const result = await recountCounts(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}

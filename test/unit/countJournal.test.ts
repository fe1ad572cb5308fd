import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leftDays, startCountJournal } from '../../infra/local/atomicDynalite.ts';

// The count journal of the runner's dynalite (infra/local/atomicDynalite.ts), told of writes in
// DynamoDB JSON as dynalite's write path tells it: what it leaves on disk must name every day whose
// counts may be short, whatever the disk did to the last note, and whether the table stopped cleanly.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const day = '2026-12-08';
const tx = (id: string, status: string) => ({
  pk: { S: `tx#${id}` },
  status: { S: status },
  createdAt: { S: `${day}T10:00:00.000Z` },
});
const counter = (n: number) => ({ pk: { S: `count#${day}#0` }, success: { N: String(n) } });

function journalIn() {
  const dir = mkdtempSync(join(tmpdir(), 'count-journal-'));
  dirs.push(dir);
  const journal = startCountJournal(dir);
  const file = () => join(dir, readdirSync(dir).find((n) => n.endsWith('.counts')) ?? 'none');
  return { dir, journal, file };
}

describe('the count journal', () => {
  it('a note cut short by a full disk swallows neither itself into a count nor the next note', async () => {
    const { dir, journal, file } = journalIn();
    // prepare: one transaction made a success and counted: the day balances
    journal.before(undefined, tx('a', 'success'));
    journal.after(counter(0), counter(1));
    expect(leftDays(dir).days).toEqual([]);
    // act: a status change whose note the disk cut short (its write then refused), as appendFileSync
    // leaves it: part of a line, no end; then a status change noted whole, written, its count not yet
    appendFileSync(file(), `\n${day} failed -`);
    journal.before(undefined, tx('b', 'success'));
    // assess: the second change is owed (a kill here leaves the day to recount)
    expect(leftDays(dir).days).toEqual([day]);
  });

  it('a line without its end is read as nothing, however much of it there is', async () => {
    // prepare: a status change noted and written, its count not
    const { dir, journal, file } = journalIn();
    journal.before(undefined, tx('a', 'success'));
    // act: what a cut-short pay of 12 (`-12 ;`) would leave, up to its number
    appendFileSync(file(), `\n${day} success -1`);
    // assess: the change is still owed
    expect(leftDays(dir).days).toEqual([day]);
  });

  it('a clean stop whose rewrite fails keeps the journal as it was', async () => {
    // prepare: a count lost, and the rewrite's path taken (a folder there: the write fails, as on a full disk)
    const { dir, journal, file } = journalIn();
    journal.before(undefined, tx('a', 'success'));
    const journalFile = file();
    const before = readFileSync(journalFile, 'utf8');
    mkdirSync(`${journalFile}.tmp`);
    // act
    expect(() => journal.stop()).toThrow();
    // assess
    expect(readFileSync(journalFile, 'utf8')).toBe(before);
    expect(leftDays(dir).days).toEqual([day]);
  });

  it('a clean stop keeps the days a count was lost on, and removes a journal that balances', async () => {
    // prepare: one journal balanced, one with a status change whose count write failed
    const balanced = journalIn();
    balanced.journal.before(undefined, tx('a', 'success'));
    balanced.journal.after(counter(0), counter(1));
    const lost = journalIn();
    lost.journal.before(undefined, tx('a', 'success'));
    lost.journal.before(undefined, tx('b', 'success'));
    lost.journal.after(counter(0), counter(1));
    // act
    balanced.journal.stop();
    lost.journal.stop();
    // assess: only what is unbalanced is kept, compacted to one line
    expect(readdirSync(balanced.dir)).toEqual([]);
    expect(leftDays(lost.dir).days).toEqual([day]);
    expect(readFileSync(lost.file(), 'utf8')).toBe(`${day} success 1 ;\n`);
  });

  it('reads the journals of older runners as they were written', async () => {
    const { dir } = journalIn();
    appendFileSync(
      join(dir, '1-1.days'),
      `2026-01-01\n2026-01-02 success 1\n2026-01-03 success 1\n2026-01-03 success -1\n`,
    );
    expect(leftDays(dir).days).toEqual(['2026-01-01', '2026-01-02']);
  });
});

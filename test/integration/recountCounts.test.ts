import { join, resolve } from 'node:path';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countItemKeys, countShardCount, countsSinceKey } from '../../functions/lib/store/StatusCounts.ts';
import { recountCounts } from '../../infra/recountCounts.ts';
import { byStatusTally } from '../support/byStatusTally.ts';
import { spawnCapture } from '../support/spawnCapture.ts';
import { newTransaction, startTestTable, type TestTable } from '../support/startTestTable.ts';

// `npm run recount-counts`: the day counters of a deployed table, rebuilt from its byStatus index, so that
// a day left short on AWS (a Lambda cut off between a status write and its count) can be put right.
const root = resolve(import.meta.dirname, '../..');
let table: TestTable;

beforeAll(async () => {
  table = await startTestTable('recount');
});

afterAll(async () => {
  await table?.stop();
});

/** A day of transactions: half left retrying, half moved on to success. */
async function seedDay(day: string, n: number) {
  for (let i = 0; i < n; i++) {
    const tx = newTransaction({ createdAt: `${day}T0${i % 10}:00:00.000Z` });
    await table.store.create(tx, Date.now() + 60_000);
    const at = new Date().toISOString();
    await table.store.apply({ id: tx.id, status: 'retrying', attempt: 1, at, message: 'a 503' }, 0);
    if (i % 2 === 0)
      await table.store.apply({ id: tx.id, status: 'success', attempt: 2, at, message: 'sent', txHash: '0x1' }, 0);
  }
}

const rangeOf = (day: string) => ({ from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z` });

/** Every counter item of a day wrong: a shard's numbers off, another's gone. */
async function spoil(day: string) {
  await table.doc.send(
    new PutCommand({ TableName: table.tableName, Item: { ...countItemKeys(day, 0), success: 40, failed: -3 } }),
  );
  for (let shard = 1; shard < countShardCount; shard++) {
    await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: { pk: countItemKeys(day, shard).pk } }));
  }
}

describe('npm run recount-counts', () => {
  it('--day puts a spoiled day right and touches no other day', async () => {
    // prepare
    await seedDay('2025-03-01', 12);
    await seedDay('2025-03-02', 6);
    await spoil('2025-03-01');
    await spoil('2025-03-02');
    expect(await table.store.countByStatus(rangeOf('2025-03-01'))).not.toEqual(
      await byStatusTally(table.doc, table.tableName, rangeOf('2025-03-01')),
    );
    // act
    const result = await recountCounts(['--table', table.tableName, '--day', '2025-03-01'], table.doc);
    // assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      '2025-03-01: retrying 6, success 6, mined 0, confirmed 0, reverted 0, failed 0 (pending is counted from the index at each read)\n',
    );
    expect(await table.store.countByStatus(rangeOf('2025-03-01'))).toEqual(
      await byStatusTally(table.doc, table.tableName, rangeOf('2025-03-01')),
    );
    expect(await table.store.countByStatus(rangeOf('2025-03-02'))).not.toEqual(
      await byStatusTally(table.doc, table.tableName, rangeOf('2025-03-02')),
    );
  });

  it('--all rebuilds every day and marks every day counted; the command runs as a process of its own', async () => {
    // prepare: a table made before counters (no count#since), its counters spoiled
    await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: countsSinceKey }));
    await spoil('2025-03-02');
    // act: the command as an operator runs it, against the table's endpoint
    const run = await spawnCapture(
      process.execPath,
      [join(root, 'infra/recountCounts.ts'), '--table', table.tableName, '--all'],
      {
        cwd: root,
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_DYNAMODB: table.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
      },
    );
    // assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`recounted 2 day(s) of ${table.tableName}; every day is counted\n`);
    for (const day of ['2025-03-01', '2025-03-02']) {
      expect(await table.store.countByStatus(rangeOf(day))).toEqual(
        await byStatusTally(table.doc, table.tableName, rangeOf(day)),
      );
    }
    expect(await table.store.countByStatus({})).toEqual(await byStatusTally(table.doc, table.tableName, {}));
  });

  it('refuses what it cannot run, saying why, and writes nothing', async () => {
    for (const [args, why] of [
      [['--day', '2025-03-01'], /--table is required/],
      [['--table', table.tableName], /say what to recount: --day \(one or more\) or --all/],
      [['--table', table.tableName, '--table', 'other', '--all'], /--table given twice/],
      // Date.parse takes February 30th (as March 2nd): it must not recount the days after it.
      [['--table', table.tableName, '--day', '2025-02-30'], /--day 2025-02-30: not a day/],
      [['--table', table.tableName, '--all', '--day', '2025-03-01'], /not both/],
      [['--table', table.tableName, '--day', '2025-13-45'], /--day 2025-13-45: not a day/],
      [['--table', table.tableName, '--days', '1'], /unknown argument --days/],
    ] as const) {
      const result = await recountCounts([...args], table.doc);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(why);
      expect(result.stdout).toBe('');
    }
    const missing = await recountCounts(['--table', 'no-such-table', '--day', '2025-03-01'], table.doc);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/could not recount no-such-table: ResourceNotFoundException/);
  });
});

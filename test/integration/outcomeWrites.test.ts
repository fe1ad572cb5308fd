import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import { openShardOf, txKey } from '../../functions/lib/store/transactionKeys.ts';
import type { Receipt, TransactionOutcome } from '../../functions/lib/transactions/model.ts';
import { indexEntries } from '../support/indexEntries.ts';
import { newTransaction, startTestTable, type TestTable } from '../support/startTestTable.ts';

// The updater's writes against a real table: every move of the lifecycle is forward only, except the
// one a reorg makes (mined back to success), and each leaves the `open` index as the sweep needs it.

let table: TestTable;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: TransactionStore;

beforeAll(async () => {
  table = await startTestTable('outcomes');
  ({ doc, tableName, store } = table);
});

afterAll(async () => {
  await table?.stop();
});

const dueAt = () => Date.now() + 60_000;
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const txHash = hash(0xaa);

/** A receipt of `txHash` in block `blockNumber` (whose hash is derived from `fork`). */
const receipt = (blockNumber: number, { status = 'success', fork = 1 } = {}): Receipt => ({
  status: status === 'success' ? 'success' : 'reverted',
  txHash,
  blockNumber,
  blockHash: hash(fork * 1_000_000 + blockNumber),
  gasUsed: '21000',
  effectiveGasPrice: '1000000007',
  confirmations: 1,
});

/** One outcome, as the updater applies it, at a fresh time. */
const outcome = (
  id: string,
  o: Partial<TransactionOutcome> & Pick<TransactionOutcome, 'status'>,
): TransactionOutcome => ({
  id,
  attempt: 1,
  at: new Date().toISOString(),
  message: `now ${o.status}`,
  ...o,
});

/** A transaction accepted as the api records it: pending, in the `open` index. */
async function accepted(): Promise<string> {
  const tx = newTransaction();
  await store.create(tx, dueAt());
  return tx.id;
}

/** A transaction the node took: the broadcaster's success applied, with the token of its tracking. */
async function took(trackToken = 'token-1'): Promise<string> {
  const id = await accepted();
  expect(await store.applyOutcome(outcome(id, { status: 'success', txHash, trackToken }), dueAt())).toBe('applied');
  return id;
}

async function minedIn(blockNumber: number, options: { fork?: number } = {}): Promise<string> {
  const id = await took();
  const r = receipt(blockNumber, options);
  expect(await store.applyOutcome(outcome(id, { status: 'mined', receipt: r, txHash }), dueAt())).toBe('applied');
  return id;
}

/** The item as the table holds it, with the attributes the store does not return (`openShard`, `dueAt`). */
async function item(id: string) {
  return (await doc.send(new GetCommand({ TableName: tableName, Key: txKey(id), ConsistentRead: true }))).Item;
}

/** Its entry in the sweep's `open` index, if it has one. */
async function openEntry(id: string) {
  const entries = await indexEntries(doc, tableName, 'open', { name: 'openShard', value: openShardOf(id) });
  return entries.find((e) => e.pk === `tx#${id}`);
}

describe('OutcomeWrites: an attempt that sent nothing', () => {
  it('is retrying with one history entry, the attempt not spent; its later tries refresh; a real failure then counts', async () => {
    // prepare
    const id = await accepted();
    const since = Date.now();
    const unsent = (message: string) =>
      outcome(id, { status: 'retrying', attempt: 1, message, error: 'header not found', unsentSince: since });
    // act: two tries of attempt 1 that sent nothing, then attempt 1 sent and refused
    const first = await store.applyOutcome(unsent('nothing sent yet, try 1'), dueAt());
    const second = await store.applyOutcome(unsent('nothing sent yet, try 2'), dueAt());
    const afterUnsent = await item(id);
    const sent = await store.applyOutcome(
      outcome(id, { status: 'retrying', attempt: 1, message: 'sent, refused', error: 'txpool is full' }),
      dueAt(),
    );
    // assess
    expect([first, second, sent]).toEqual(['applied', 'applied', 'applied']);
    expect(afterUnsent).toMatchObject({
      status: 'retrying',
      attempts: 0,
      unsentSince: since,
      message: 'nothing sent yet, try 2',
    });
    expect(afterUnsent?.history).toHaveLength(1);
    const after = await item(id);
    // The attempt that was sent is the first one spent, and its refusal is in the history, not lost.
    expect(after).toMatchObject({ status: 'retrying', attempts: 1, message: 'sent, refused' });
    expect(after?.history.map((h: { error: string }) => h.error)).toEqual(['header not found', 'txpool is full']);
  });

  it('a late report of an unsent try is ignored once the transaction went on', async () => {
    const id = await took();
    const late = outcome(id, { status: 'retrying', attempt: 1, message: 'late', unsentSince: Date.now() - 1000 });
    expect(await store.applyOutcome(late, dueAt())).toBe('ignored');
    expect(await item(id)).toMatchObject({ status: 'success' });
  });
});

describe('OutcomeWrites: mined', () => {
  it('moves a success to mined, with the receipt and the mined hash, and records the block', async () => {
    const id = await took();
    const r = receipt(10);
    expect(await store.applyOutcome(outcome(id, { status: 'mined', receipt: r, txHash }), dueAt())).toBe('applied');
    const tx = await store.get(id);
    expect(tx).toMatchObject({ status: 'mined', receipt: r, txHash });
    expect(tx?.history.at(-1)).toMatchObject({ outcome: 'mined', blockNumber: 10 });
  });

  it.each(['pending', 'retrying'] as const)(
    'does not move a %s transaction: only one the node took is mined',
    async (status) => {
      const id = await accepted();
      if (status === 'retrying') await store.applyOutcome(outcome(id, { status: 'retrying' }), dueAt());
      const r = receipt(10);
      expect(await store.applyOutcome(outcome(id, { status: 'mined', receipt: r }), dueAt())).toBe('ignored');
      expect((await store.get(id))?.status).toBe(status);
    },
  );

  it('again in the same block is ignored; in another block it is applied', async () => {
    const id = await minedIn(10);
    const same = { ...receipt(10), confirmations: 2 };
    expect(await store.applyOutcome(outcome(id, { status: 'mined', receipt: same }), dueAt())).toBe('ignored');
    expect((await store.get(id))?.receipt?.confirmations).toBe(1);
    const moved = receipt(11, { fork: 2 });
    expect(await store.applyOutcome(outcome(id, { status: 'mined', receipt: moved }), dueAt())).toBe('applied');
    const tx = await store.get(id);
    expect(tx?.receipt).toEqual(moved);
    expect(tx?.history.filter((h) => h.outcome === 'mined').map((h) => h.blockNumber)).toEqual([10, 11]);
  });
});

describe('OutcomeWrites: confirmed and reverted', () => {
  it.each([
    ['confirmed', 'success'],
    ['reverted', 'success'],
    ['confirmed', 'mined'],
    ['reverted', 'mined'],
  ] as const)('%s from %s is applied, then nothing moves it', async (settled, from) => {
    const id = from === 'success' ? await took() : await minedIn(10);
    const r = { ...receipt(10, { status: settled === 'confirmed' ? 'success' : 'reverted' }), confirmations: 2 };
    expect(await store.applyOutcome(outcome(id, { status: settled, receipt: r }), dueAt())).toBe('applied');
    const final = await store.get(id);
    expect(final).toMatchObject({ status: settled, receipt: r });
    expect(final?.history.at(-1)).toMatchObject({ outcome: settled, blockNumber: 10 });

    // A late look, a repeated broadcast, a reorg, a nonce taken: each is ignored.
    const late: TransactionOutcome[] = [
      outcome(id, { status: 'mined', receipt: receipt(12, { fork: 3 }) }),
      outcome(id, { status: 'success', attempt: 2, txHash, trackToken: 'token-9' }),
      outcome(id, { status: 'success', reorged: true }),
      outcome(id, { status: 'failed', tracked: true, error: 'nonce 7 was used by another transaction' }),
      outcome(id, { status: 'failed', attempt: 2, error: 'gave up' }),
      outcome(id, { status: 'retrying', attempt: 5 }),
      outcome(id, { status: settled === 'confirmed' ? 'reverted' : 'confirmed', receipt: receipt(13, { fork: 4 }) }),
    ];
    for (const o of late) expect(await store.applyOutcome(o, dueAt()), o.status).toBe('ignored');
    expect(await store.get(id)).toEqual(final);
  });

  it('does not settle a pending transaction', async () => {
    const id = await accepted();
    expect(await store.applyOutcome(outcome(id, { status: 'confirmed', receipt: receipt(10) }), dueAt())).toBe(
      'ignored',
    );
    expect((await store.get(id))?.status).toBe('pending');
  });
});

describe('OutcomeWrites: a reorg', () => {
  it('moves mined back to success, records `reorged` and removes the receipt', async () => {
    const id = await minedIn(10);
    expect(
      await store.applyOutcome(outcome(id, { status: 'success', reorged: true, blockNumber: 10, txHash }), dueAt()),
    ).toBe('applied');
    const tx = await store.get(id);
    expect(tx?.status).toBe('success');
    expect(tx?.receipt).toBeUndefined();
    expect(tx?.history.map((h) => h.outcome)).toEqual(['success', 'mined', 'reorged']);
    expect(tx?.history.at(-1)?.blockNumber).toBe(10);
    expect(tx?.trackToken).toBe('token-1');
    expect(await openEntry(id)).toMatchObject({ status: 'success' });
  });

  it('a late report of a block that went is ignored once it is mined in another', async () => {
    const id = await minedIn(10);
    const before = await store.get(id);
    const gone = `0x${'ee'.repeat(32)}`; // not the block it is in now
    expect(await store.applyOutcome(outcome(id, { status: 'success', reorged: true, blockHash: gone }), dueAt())).toBe(
      'ignored',
    );
    expect(await store.get(id)).toEqual(before);
  });

  it('names the signature it reports as the one it is now (the latest, sent again), not the one that was mined', async () => {
    const id = await minedIn(10);
    const latest = `0x${'cd'.repeat(32)}`;
    await store.applyOutcome(outcome(id, { status: 'success', reorged: true, txHash: latest }), dueAt());
    expect((await store.get(id))?.txHash).toBe(latest);
  });

  it.each(['pending', 'success'] as const)('does not move a %s transaction', async (status) => {
    const id = status === 'pending' ? await accepted() : await took();
    const before = await store.get(id);
    expect(await store.applyOutcome(outcome(id, { status: 'success', reorged: true }), dueAt())).toBe('ignored');
    expect(await store.get(id)).toEqual(before);
  });
});

describe('OutcomeWrites: a failure the tracker saw', () => {
  it('fails a success for good, out of the open index, its tracking ended', async () => {
    const id = await took();
    const failed = outcome(id, { status: 'failed', tracked: true, error: 'nonce 7 was used by another transaction' });
    expect(await store.applyOutcome(failed, dueAt())).toBe('applied');
    expect(await store.get(id)).toMatchObject({ status: 'failed', message: failed.message });
    const raw = await item(id);
    expect(raw).not.toHaveProperty('openShard');
    expect(raw).not.toHaveProperty('trackToken');
    expect(await openEntry(id)).toBeUndefined();
  });

  it.each(['pending', 'mined'] as const)('does not move a %s transaction', async (status) => {
    const id = status === 'pending' ? await accepted() : await minedIn(10);
    const before = await store.get(id);
    const failed = outcome(id, { status: 'failed', tracked: true, error: 'nonce 7 was used by another transaction' });
    expect(await store.applyOutcome(failed, dueAt())).toBe('ignored');
    expect(await store.get(id)).toEqual(before);
  });
});

describe('OutcomeWrites: the open index', () => {
  it('keeps a success there with its status and the token on the record; mined stays too', async () => {
    const id = await took('token-7');
    expect(await item(id)).toMatchObject({ status: 'success', trackToken: 'token-7', openShard: openShardOf(id) });
    expect(await openEntry(id)).toMatchObject({ id, status: 'success', attempts: 1 });
    await store.applyOutcome(outcome(id, { status: 'mined', receipt: receipt(10) }), dueAt());
    expect(await openEntry(id)).toMatchObject({ id, status: 'mined' });
  });

  it.each(['confirmed', 'reverted'] as const)('%s leaves it, with the token', async (status) => {
    const id = await minedIn(10);
    const r = { ...receipt(10, { status: status === 'confirmed' ? 'success' : 'reverted' }), confirmations: 2 };
    await store.applyOutcome(outcome(id, { status, receipt: r }), dueAt());
    const raw = await item(id);
    expect(raw).not.toHaveProperty('openShard');
    expect(raw).not.toHaveProperty('dueAt');
    expect(raw).not.toHaveProperty('trackToken');
    expect(await openEntry(id)).toBeUndefined();
  });

  it('a failure from the broadcaster leaves it', async () => {
    const id = await accepted();
    await store.applyOutcome(outcome(id, { status: 'failed', error: 'gave up' }), dueAt());
    expect(await openEntry(id)).toBeUndefined();
  });
});

describe('OutcomeWrites: attempts', () => {
  it('never decrease: a late success of an earlier attempt and the tracker outcomes keep the highest', async () => {
    const id = await accepted();
    expect(await store.applyOutcome(outcome(id, { status: 'retrying', attempt: 3 }), dueAt())).toBe('applied');
    expect(await store.applyOutcome(outcome(id, { status: 'retrying', attempt: 2 }), dueAt())).toBe('ignored');
    expect(await store.applyOutcome(outcome(id, { status: 'success', attempt: 2, txHash }), dueAt())).toBe('applied');
    expect(await store.get(id)).toMatchObject({ status: 'success', attempts: 3 });
    await store.applyOutcome(outcome(id, { status: 'mined', attempt: 1, receipt: receipt(10) }), dueAt());
    expect(await store.get(id)).toMatchObject({ status: 'mined', attempts: 3 });
    await store.applyOutcome(outcome(id, { status: 'success', attempt: 1, reorged: true }), dueAt());
    expect(await store.get(id)).toMatchObject({ status: 'success', attempts: 3 });
    await store.applyOutcome(outcome(id, { status: 'confirmed', attempt: 1, receipt: receipt(11) }), dueAt());
    expect(await store.get(id)).toMatchObject({ status: 'confirmed', attempts: 3 });
  });
});

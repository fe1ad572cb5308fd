import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItems } from '../../functions/lib/store/getItems.ts';
import { createNonceStore } from '../../functions/lib/store/NonceStore.ts';
import { createTransactionStore, type TransactionStore } from '../../functions/lib/store/TransactionStore.ts';
import type { indexes } from '../../functions/lib/store/tableDesign.ts';
import { openShardOf } from '../../functions/lib/store/transactionKeys.ts';
import { indexEntries } from '../support/indexEntries.ts';
import { newTransaction, startTestTable, type TestTable } from '../support/startTestTable.ts';

let table: TestTable;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: TransactionStore;

beforeAll(async () => {
  table = await startTestTable('store');
  ({ doc, tableName, store } = table);
});

afterAll(async () => {
  await table?.stop();
});

const newTransactionAt = (createdAt: string) => newTransaction({ createdAt });

describe('getItems', () => {
  it('reads more keys than one BatchGetItem takes, in the order asked, leaving out keys with no item', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => ({ pk: `probe#${String(i).padStart(3, '0')}` }));
    // Every third key has an item; the rest do not exist.
    await Promise.all(
      keys
        .filter((_, i) => i % 3 === 0)
        .map((key, i) => doc.send(new PutCommand({ TableName: tableName, Item: { ...key, n: i } }))),
    );
    const asked = [...keys].reverse();
    const items = await getItems(doc, tableName, asked);
    const expected = asked.filter((k) => Number(k.pk.slice(-3)) % 3 === 0).map((k) => k.pk);
    expect(items.map((i) => i.pk)).toEqual(expected);
    expect(items).toHaveLength(84);
  });
});

describe('indexes', () => {
  it('copy only what their design names, so that listings read each transaction from the table', async () => {
    const tx = newTransactionAt('2026-01-01T00:00:00.000Z');
    await store.create(tx, Date.now() + 60_000);
    const entryIn = async (indexName: keyof typeof indexes, partition: string, value: string) =>
      (await indexEntries(doc, tableName, indexName, { name: partition, value })).find((i) => i.pk === `tx#${tx.id}`);
    expect(Object.keys((await entryIn('byKind', 'kind', 'tx')) ?? {}).sort()).toEqual(['kind', 'pk', 'sortKey']);
    expect(Object.keys((await entryIn('byStatus', 'status', 'pending')) ?? {}).sort()).toEqual([
      'pk',
      'sortKey',
      'status',
    ]);
  });

  it('an include index copies the attributes its design names besides the keys', async () => {
    const tx = newTransactionAt('2026-01-02T00:00:00.000Z');
    await store.create(tx, 1_000);
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'open',
        KeyConditionExpression: 'openShard = :s AND dueAt = :d',
        ExpressionAttributeValues: { ':s': openShardOf(tx.id), ':d': 1_000 },
      }),
    );
    expect(out.Items).toEqual([
      { pk: `tx#${tx.id}`, openShard: openShardOf(tx.id), dueAt: 1_000, id: tx.id, attempts: 0, status: 'pending' },
    ]);
  });

  it('a listing by status leaves out what has left that status since its index entry was read', async () => {
    const moved = newTransactionAt('2026-04-01T00:00:00.000Z');
    const stays = newTransactionAt('2026-04-01T00:00:01.000Z');
    for (const tx of [moved, stays]) await store.create(tx, Date.now() + 60_000);
    const range = { from: '2026-04-01T00:00:00.000Z', to: '2026-04-02T00:00:00.000Z' };
    // The byStatus entries as they were while both were pending: on AWS an index can still answer this
    // after the table has moved on.
    const pendingEntries = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :p AND sortKey BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':p': 'pending', ':from': range.from, ':to': range.to },
        ScanIndexForward: false,
      }),
    );
    expect(pendingEntries.Items).toHaveLength(2);
    await store.applyOutcome(
      { id: moved.id, status: 'success', attempt: 1, at: new Date().toISOString(), message: 'accepted' },
      Date.now(),
    );
    // The same client (the store's paginators need a DynamoDBDocumentClient), except that byStatus answers stale.
    const laggingIndex: DynamoDBDocumentClient = Object.assign(Object.create(doc), {
      send: (command: { input: { IndexName?: string } }) =>
        command instanceof QueryCommand && command.input.IndexName === 'byStatus'
          ? Promise.resolve(pendingEntries)
          : doc.send(command as never),
    });
    const page = await createTransactionStore(laggingIndex, tableName).list({ ...range, status: 'pending', limit: 10 });
    expect(page.items.map((t) => [t.id, t.status])).toEqual([[stays.id, 'pending']]);
  });

  it('a listing shows each transaction as it is now, with every field', async () => {
    const older = newTransactionAt('2026-02-01T00:00:00.000Z');
    const newer = newTransactionAt('2026-02-01T00:00:01.000Z');
    for (const tx of [older, newer]) await store.create(tx, Date.now() + 60_000);
    const applied = await store.applyOutcome(
      {
        id: older.id,
        status: 'success',
        attempt: 1,
        at: new Date().toISOString(),
        message: 'accepted',
        txHash: '0xab',
      },
      Date.now(),
    );
    expect(applied).toBe('applied');

    const page = await store.list({ from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z', limit: 1 });
    expect(page.items.map((t) => t.id)).toEqual([newer.id]);
    expect(page.items[0]).toMatchObject({ status: 'pending', to: newer.to, value: '1', chainId: 31337 });
    const next = await store.list({
      from: '2026-02-01T00:00:00.000Z',
      to: '2026-02-02T00:00:00.000Z',
      limit: 1,
      ...(page.next ? { after: page.next } : {}),
    });
    expect(page.next).toEqual({ id: newer.id, sortKey: `${newer.createdAt}#${newer.id}` });
    expect(next.items.map((t) => [t.id, t.status, t.txHash])).toEqual([[older.id, 'success', '0xab']]);
    expect(next.next).toBeUndefined();
  });
});

describe('replacements and cancels', () => {
  const signed = {
    chainId: 31337,
    from: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    nonce: 4,
    rawTx: '0x01aa',
    txHash: '0xhash-1',
    gas: '21000',
    maxFeePerGas: '10',
    maxPriorityFeePerGas: '1',
  };
  /** A transaction signed (as `signed`) under a claim, in `status`. */
  async function signedTransaction(status: 'pending' | 'success' = 'pending') {
    const tx = newTransaction();
    await store.create(tx, Date.now());
    const now = Date.now();
    await store.claimForSigning(tx.id, { token: 't', until: now + 60_000 }, now);
    expect(await store.saveSignature(tx.id, 't', signed, new Date())).toBe(true);
    if (status === 'success') {
      await store.applyOutcome(
        { id: tx.id, status: 'success', attempt: 1, at: new Date().toISOString(), message: 'ok' },
        0,
      );
    }
    return tx.id;
  }
  const replacement = (n: number, kind: 'reprice' | 'cancel' = 'reprice') => ({
    rawTx: `0x0${n}bb`,
    txHash: `0xhash-${n}`,
    maxFeePerGas: String(10 + n),
    maxPriorityFeePerGas: String(1 + n),
    kind,
  });

  it('a replacement becomes the latest signature once, and the one it replaced keeps its bytes', async () => {
    const id = await signedTransaction('success');
    expect(await store.saveReplacement(id, 1, replacement(2), new Date())).toBe(true);
    // A second asker who read the same single signature: refused, nothing changes.
    expect(await store.saveReplacement(id, 1, replacement(3), new Date())).toBe(false);
    const tx = await store.get(id);
    expect(tx).toMatchObject({ rawTx: '0x02bb', txHash: '0xhash-2' });
    expect(tx?.hashes?.map((h) => [h.txHash, h.kind, h.rawTx])).toEqual([
      ['0xhash-1', undefined, '0x01aa'],
      ['0xhash-2', 'reprice', undefined],
    ]);
  });

  /** The original signature's receipt (`signed`'s hash). */
  const minedOriginal = {
    status: 'success' as const,
    txHash: '0xhash-1',
    blockNumber: 9,
    blockHash: '0xblock',
    gasUsed: '21000',
    effectiveGasPrice: '5',
    confirmations: 1,
  };

  it("its nonce's holder names the signature the chain mined, and carries the bytes of the earlier ones", async () => {
    // prepare: the original signed and taken, a re-price stored, then the original's receipt read
    const id = await signedTransaction('success');
    expect(await store.saveReplacement(id, 1, replacement(2), new Date())).toBe(true);
    await store.applyOutcome(
      { id, status: 'confirmed', attempt: 1, at: new Date().toISOString(), message: 'c', receipt: minedOriginal },
      0,
    );
    // act: as the runner's replay after a kill reads it
    const holders = await createNonceStore(doc, tableName).holders(31337, signed.from, 4, 4);
    // assess
    expect(holders.find((h) => h.kind === 'tx' && h.id === id)).toMatchObject({
      status: 'confirmed',
      rawTx: '0x02bb',
      minedTxHash: '0xhash-1',
      earlierRawTx: ['0x01aa'],
    });
  });

  it('no replacement is stored once it is mined', async () => {
    const id = await signedTransaction('success');
    await store.applyOutcome(
      { id, status: 'mined', attempt: 1, at: new Date().toISOString(), message: 'm', receipt: minedOriginal },
      0,
    );
    expect(await store.saveReplacement(id, 1, replacement(2), new Date())).toBe(false);
  });

  it('a cancel before signing fences the signature of a worker that holds the claim', async () => {
    const tx = newTransaction();
    await store.create(tx, Date.now());
    const now = Date.now();
    await store.claimForSigning(tx.id, { token: 'w', until: now + 60_000 }, now);
    const cancel = { requestedAt: new Date().toISOString(), by: 'admin', reason: 'requested' as const };
    expect(await store.closeForCancel(tx.id, cancel, 'canceled by admin')).toBe(true);
    expect(await store.saveSignature(tx.id, 'w', signed, new Date())).toBe(false);
    expect(await store.get(tx.id)).toMatchObject({ signingClosed: 'canceled by admin', cancel });
    expect((await store.get(tx.id))?.rawTx).toBeUndefined();
  });

  it('a cancel of a signed transaction is recorded once; closing it unsigned is refused', async () => {
    const id = await signedTransaction();
    const first = { requestedAt: '2026-01-01T00:00:00.000Z', by: 'a', reason: 'requested' as const };
    expect(await store.closeForCancel(id, first, 'canceled')).toBe(false);
    expect(await store.requestCancel(id, first)).toBe(true);
    expect(await store.requestCancel(id, { ...first, by: 'b' })).toBe(true);
    expect((await store.get(id))?.cancel).toEqual(first);
  });

  it('a filler is re-priced once per signature, keeping the hashes it replaced', async () => {
    const nonces = createNonceStore(doc, tableName);
    const filler = {
      chainId: 31337,
      from: signed.from,
      nonce: 40,
      rawTx: '0xf1',
      txHash: '0xfill-1',
      reason: 'gap',
      createdAt: new Date().toISOString(),
    };
    expect(await nonces.createFiller(filler)).toEqual({ filler, created: true });
    // A second worker's filler for the nonce is not stored: the first is its answer.
    expect(await nonces.createFiller({ ...filler, txHash: '0xfill-other' })).toMatchObject({
      filler: { txHash: '0xfill-1' },
      created: false,
    });
    const at = new Date().toISOString();
    expect(await nonces.replaceFiller(filler, '0xfill-1', { rawTx: '0xf2', txHash: '0xfill-2', at })).toBe(true);
    expect(await nonces.replaceFiller(filler, '0xfill-1', { rawTx: '0xf3', txHash: '0xfill-3', at })).toBe(false);
    expect(await nonces.findFiller(31337, signed.from, 40)).toMatchObject({
      rawTx: '0xf2',
      txHash: '0xfill-2',
      repricedAt: at,
      previous: ['0xfill-1'],
    });
  });
});

describe('waiting for a signer', () => {
  it('parking forgets since when nothing could be sent: the budget of what comes after starts afresh', async () => {
    const tx = newTransaction();
    await store.create(tx, Date.now());
    const since = Date.now() - 90_000;
    const unsent = {
      id: tx.id,
      status: 'retrying' as const,
      attempt: 1,
      at: new Date().toISOString(),
      message: 'nothing sent yet',
      unsentSince: since,
    };
    expect(await store.applyOutcome(unsent, Date.now() + 60_000)).toBe('applied');
    expect((await store.get(tx.id))?.unsentSince).toBe(since);
    const now = Date.now();
    await store.claimForSigning(tx.id, { token: 'p', until: now + 60_000 }, now);
    const wait = { chainId: tx.chainId, reason: 'every signer is full' };
    expect(await store.park(tx.id, 'p', wait, new Date(), Date.now() + 60_000)).toBe(true);
    expect((await store.get(tx.id))?.unsentSince).toBeUndefined();
  });
});

describe('the sweep postponing for a busy queue', () => {
  it('counts each postponement and hands back the backlog the one before saw; a closed one is not postponed', async () => {
    const tx = newTransaction();
    await store.create(tx, Date.now());
    expect(await store.postponeForBacklog(tx.id, Date.now() + 60_000, 300)).toEqual({
      times: 1,
      previousBacklog: undefined,
    });
    expect(await store.postponeForBacklog(tx.id, Date.now() + 60_000, 250)).toEqual({ times: 2, previousBacklog: 300 });
    expect(await store.postponeForBacklog(tx.id, Date.now() + 60_000, 260)).toEqual({ times: 3, previousBacklog: 250 });
    const done = { id: tx.id, status: 'failed' as const, attempt: 1, at: new Date().toISOString(), message: 'failed' };
    expect(await store.applyOutcome(done, Date.now())).toBe('applied');
    expect(await store.postponeForBacklog(tx.id, Date.now() + 60_000, 100)).toBeUndefined();
  });
});

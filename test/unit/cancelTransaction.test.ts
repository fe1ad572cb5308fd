import { describe, expect, it } from 'vitest';
import { cancelTransaction } from '../../functions/lib/api/cancelTransaction.ts';
import { NotCancelableError, NotFoundError } from '../../functions/lib/errors/errors.ts';
import type { Transaction } from '../../functions/lib/transactions/model.ts';
import { createRecordingQueue, pendingTransaction, silentLogger } from './fakes/broadcastFakes.ts';

// The api's cancel, over an in-memory record: who may cancel, when it is too late, and what it asks for.

const admin = { role: 'admin' as const, client: 'admin' };
const owner = { role: 'client' as const, client: 'acme' };
const receipt = (txHash: string) => ({
  status: 'success' as const,
  txHash,
  blockNumber: 9,
  blockHash: '0xb',
  gasUsed: '21000',
  effectiveGasPrice: '1',
  confirmations: 1,
});
const entry = (txHash: string, kind?: 'cancel') => ({
  txHash,
  maxFeePerGas: '2',
  maxPriorityFeePerGas: '1',
  signedAt: '2025-01-01T00:00:00.000Z',
  ...(kind ? { kind } : {}),
});

function world(tx: Transaction) {
  const requests = createRecordingQueue();
  const calls: string[] = [];
  const deps = {
    transactions: {
      get: async () => structuredClone(tx),
      closeForCancel: async () => {
        calls.push('closeForCancel');
        return !tx.rawTx;
      },
      requestCancel: async () => {
        calls.push('requestCancel');
        return true;
      },
    },
    requests: requests.queue,
    logger: silentLogger(),
    now: () => new Date('2025-01-01T00:01:00.000Z'),
  };
  return { deps, requests, calls };
}

const signed = (overrides: Partial<Transaction>) =>
  pendingTransaction({ client: 'acme', rawTx: '0x02', txHash: '0xo', nonce: 7, from: '0xf', ...overrides });

describe('cancelTransaction', () => {
  it('another client is told it does not exist; the owner and an admin may cancel', async () => {
    const tx = signed({ status: 'success', hashes: [entry('0xo')] });
    await expect(cancelTransaction(world(tx).deps, tx.id, { role: 'client', client: 'other' })).rejects.toThrow(
      NotFoundError,
    );
    for (const caller of [owner, admin]) {
      const w = world(tx);
      await cancelTransaction(w.deps, tx.id, caller);
      expect(w.requests.sent.map((s) => s.body)).toEqual([{ id: tx.id, attempt: 1, phase: 'cancel' }]);
    }
  });

  it('its original in a block: too late (409), nothing asked for', async () => {
    const tx = signed({ status: 'mined', receipt: receipt('0xo'), hashes: [entry('0xo'), entry('0xc', 'cancel')] });
    const w = world(tx);
    await expect(cancelTransaction(w.deps, tx.id, owner)).rejects.toThrow(NotCancelableError);
    expect(w.requests.sent).toEqual([]);
  });

  it('its cancel in a block short of depth: on its way, not too late, and nothing more asked for', async () => {
    const tx = signed({
      status: 'mined',
      receipt: receipt('0xc'),
      hashes: [entry('0xo'), entry('0xc', 'cancel')],
      cancel: { requestedAt: '2025-01-01T00:00:30.000Z', by: 'acme', reason: 'requested' },
    });
    const w = world(tx);
    await expect(cancelTransaction(w.deps, tx.id, owner)).resolves.toMatchObject({ status: 'mined' });
    expect(w.requests.sent).toEqual([]);
    expect(w.calls).toEqual([]);
  });

  it('never signed: fenced, and the broadcaster asked to report it failed', async () => {
    const tx = pendingTransaction({ client: 'acme' });
    const w = world(tx);
    await cancelTransaction(w.deps, tx.id, owner);
    expect(w.calls).toEqual(['closeForCancel']);
    expect(w.requests.sent.map((s) => s.body)).toEqual([{ id: tx.id, attempt: 1, phase: 'broadcast' }]);
  });

  it('confirmed, or failed before any cancel: too late', async () => {
    for (const status of ['confirmed', 'reverted', 'failed'] as const) {
      await expect(cancelTransaction(world(signed({ status })).deps, 'tx-1', owner)).rejects.toThrow(
        NotCancelableError,
      );
    }
  });
});

import { type Hex, keccak256, parseTransaction, recoverTransactionAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { broadcastTransaction } from '../../functions/lib/broadcast/broadcastTransaction.ts';
import { KmsSignerError, SigningInProgressError } from '../../functions/lib/errors/errors.ts';
import type { BroadcastMessage } from '../../functions/lib/transactions/messages.ts';
import type { Transaction } from '../../functions/lib/transactions/model.ts';
import {
  account,
  chainId,
  createBroadcastWorld,
  createFakeChain,
  fees,
  pendingTransaction,
  recipient,
  rpcError,
  settings,
  signedBytes,
} from './fakes/broadcastFakes.ts';

const id = 'tx-1';
const hashPattern = /^0x[0-9a-f]{64}$/;

/** A transaction signed by an earlier attempt: nonce 7 taken, bytes stored, the last attempt's error recorded. */
async function signedEarlier(attempts: number) {
  const { rawTx, txHash } = await signedBytes({ nonce: 7 });
  return pendingTransaction({
    status: 'retrying',
    attempts,
    from: account.address,
    nonce: 7,
    gas: '21000',
    rawTx,
    txHash,
    signedAt: '2025-01-01T00:00:00.000Z',
    history: [{ attempt: attempts, at: '2025-01-01T00:00:00.000Z', outcome: 'retrying', error: 'txpool is full' }],
  });
}

describe('broadcastTransaction: a fresh transaction', () => {
  it('is claimed, takes a nonce, is signed, stored and sent, and reports success with the stored hash', async () => {
    // prepare
    const world = createBroadcastWorld([pendingTransaction()]);
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    // assess
    const stored = world.store.record(id);
    expect(stored).toMatchObject({ nonce: 7, from: account.address, gas: '21000' });
    const rawTx = stored?.rawTx as Hex;
    expect(stored?.txHash).toBe(keccak256(rawTx));
    expect(await recoverTransactionAddress({ serializedTransaction: rawTx as `0x02${string}` })).toBe(account.address);
    expect(parseTransaction(rawTx)).toMatchObject({ chainId, nonce: 7, to: expect.any(String), value: 1n });
    expect(world.chain.sent).toEqual([rawTx]);
    expect(response).toMatchObject({ id, attempt: 1, status: 'success', txHash: stored?.txHash });
    expect(world.responses.sent.map((s) => s.body)).toEqual([response]);
    expect(world.retries.sent).toEqual([]);
  });

  it('on a second delivery sends the very same bytes: no second signature, no second nonce', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    const first = await broadcastTransaction(world.deps, { id, attempt: 1 });
    const second = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(world.signer.requests).toHaveLength(1);
    expect(world.nonces.calls.allocate).toHaveLength(1);
    expect(world.chain.sent).toHaveLength(2);
    expect(world.chain.sent[1]).toBe(world.chain.sent[0]);
    // The node took them the first time and answers `already known` now: that is success too.
    expect(second).toMatchObject({ status: 'success', txHash: first?.txHash });
  });

  it('is a success when the node answers that it already knows the bytes', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('already known'));
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(response).toMatchObject({ status: 'success', txHash: world.store.record(id)?.txHash });
    expect(world.retries.sent).toEqual([]);
  });
});

describe('broadcastTransaction: nonce too low', () => {
  it('is a success when the node knows our hash', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('nonce too low'));
    world.chain.lookup = (hash) => ({ hash, blockHash: `0x${'01'.repeat(32)}` });
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(response).toMatchObject({ status: 'success', txHash: world.store.record(id)?.txHash });
    expect(world.chain.lookups).toBeGreaterThan(0);
    expect(world.nonces.calls.raiseFloor).toEqual([]);
  });

  it('fails when two reads do not find our hash, and raises the counter past the nonce someone else used', async () => {
    // The counter lags the chain: someone else sent nonces 7 and 8 from our address.
    const counter = { chainId, from: account.address, next: 7, allocatedAt: 0 };
    const world = createBroadcastWorld([pendingTransaction()], {
      chain: createFakeChain({ latest: 9, pending: 9 }),
      counters: [counter],
    });
    world.chain.refuse(rpcError('nonce too low'));
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(world.chain.lookups).toBe(2);
    expect(response).toMatchObject({ status: 'failed', error: expect.stringMatching(/nonce 7 was already used/) });
    expect(world.nonces.calls.raiseFloor).toEqual([{ chainId, from: account.address, floor: 9 }]);
    expect(world.nonces.counter(chainId, account.address)).toMatchObject({ next: 9, external: { from: 8, to: 9 } });
    expect(world.retries.sent).toEqual([]);
  });

  it('retries, and fails nothing, when the node cannot be asked about our hash', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('nonce too low'));
    world.chain.lookup = () => {
      throw rpcError('ECONNREFUSED');
    };
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(response).toMatchObject({ status: 'retrying' });
    expect(world.retries.sent).toEqual([{ body: { id, attempt: 2, phase: 'broadcast' }, delaySeconds: 5 }]);
    expect(world.nonces.calls.raiseFloor).toEqual([]);
  });
});

describe('broadcastTransaction: a transaction with more than one signature', () => {
  /** Retrying, signed twice for nonce 7: the original, then its cancel (the record's bytes). */
  async function canceledWhileRetrying() {
    const original = await signedBytes({ nonce: 7 });
    const cancel = await signedBytes({ nonce: 7, to: account.address, value: 0n });
    const entry = (txHash: string, kind?: 'cancel') => ({
      txHash,
      maxFeePerGas: fees.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
      signedAt: '2025-01-01T00:00:00.000Z',
      ...(kind ? { kind } : {}),
    });
    const tx = {
      ...(await signedEarlier(1)),
      rawTx: cancel.rawTx,
      txHash: cancel.txHash,
      hashes: [{ ...entry(original.txHash), rawTx: original.rawTx }, entry(cancel.txHash, 'cancel')],
      cancel: { requestedAt: '2025-01-01T00:00:00.000Z', by: 'admin', reason: 'requested' as const },
    };
    return { tx, original, cancel };
  }

  it('nonce too low for its cancel, its original on chain: success with the original, never failed', async () => {
    const { tx, original } = await canceledWhileRetrying();
    const world = createBroadcastWorld([tx]);
    // Every send of the cancel is refused: the original holds the nonce.
    world.chain.refuse(rpcError('nonce too low'), rpcError('nonce too low'));
    world.chain.lookup = (hash) => (hash === original.txHash ? { hash, blockHash: `0x${'01'.repeat(32)}` } : null);
    const response = await broadcastTransaction(world.deps, { id, attempt: 2 });
    expect(response).toMatchObject({ status: 'success', txHash: original.txHash });
  });

  it('its attempts spent, the original found: settled as success with the original, no filler', async () => {
    const { tx, original } = await canceledWhileRetrying();
    const world = createBroadcastWorld([tx]);
    world.chain.lookup = (hash) => (hash === original.txHash ? { hash, blockHash: `0x${'01'.repeat(32)}` } : null);
    const response = await broadcastTransaction(world.deps, { id, attempt: 3, phase: 'settle' });
    expect(response).toMatchObject({ status: 'success', txHash: original.txHash });
    expect(world.nonces.calls.createFiller).toEqual([]);
  });
});

/** Signed by an earlier attempt (one signature in `hashes`), retrying, and past its validUntil. */
async function expiredWhileRetrying(): Promise<Transaction> {
  const earlier = await signedEarlier(1);
  return {
    ...earlier,
    validUntil: '2024-12-31T23:59:59.000Z',
    hashes: [
      {
        txHash: earlier.txHash ?? '',
        maxFeePerGas: fees.maxFeePerGas.toString(),
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        signedAt: '2025-01-01T00:00:00.000Z',
      },
    ],
  };
}

describe('broadcastTransaction: validUntil passed on a signed transaction the node has not taken', () => {
  it('its cancel is signed and sent in place of its bytes, and reported success', async () => {
    const tx = await expiredWhileRetrying();
    const world = createBroadcastWorld([tx]);
    const response = await broadcastTransaction(world.deps, { id, attempt: 2 });
    const stored = world.store.record(id);
    expect(stored?.hashes?.at(-1)?.kind).toBe('cancel');
    expect(world.chain.sent).toEqual([stored?.rawTx]);
    const sent = parseTransaction(world.chain.sent[0] as Hex);
    expect(sent).toMatchObject({ nonce: 7, to: account.address.toLowerCase() });
    expect(sent.value ?? 0n).toBe(0n);
    expect(response).toMatchObject({ status: 'success', txHash: stored?.txHash });
    expect(stored?.cancel).toMatchObject({ by: 'validUntil', reason: 'expired' });
  });
});

describe('broadcastTransaction: a cancel that cannot be signed', () => {
  it('past validUntil with no room under the cap for its cancel: sends nothing, never the original, and tries again', async () => {
    const tx = await expiredWhileRetrying();
    const world = createBroadcastWorld([tx]);
    world.deps.settings = { ...settings, feeCapWei: () => fees.maxFeePerGas };
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(world.chain.sent).toEqual([]);
    expect(world.signer.requests).toEqual([]);
    expect(response).toMatchObject({ status: 'retrying', error: expect.stringMatching(/no cancel could be signed/) });
    expect(world.retries.sent.map((r) => r.body)).toEqual([{ id, attempt: 2, phase: 'broadcast' }]);
  });
});

describe('broadcastTransaction: answers that need the node asked first', () => {
  it('replacement underpriced is a success when the node holds our hash', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('replacement transaction underpriced'));
    world.chain.lookup = (hash) => ({ hash, blockHash: null });
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(world.chain.lookups).toBe(1);
    expect(response).toMatchObject({ status: 'success', txHash: world.store.record(id)?.txHash });
  });

  it('an unknown error with our hash unseen is retried, not failed, after asking', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('something no table names'));
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(world.chain.lookups).toBe(2);
    expect(response).toMatchObject({ status: 'retrying', error: 'something no table names' });
  });
});

describe('broadcastTransaction: transient errors', () => {
  it('with attempts left, schedule the next attempt with backoff and report when it is due', async () => {
    // prepare
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('txpool is full'));
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: 2 });
    // assess: attempt 2 of base 10 s has a ceiling of 20 s; a draw of 0.5 gives floor(0.5 * 21) = 10 s.
    expect(world.retries.sent).toEqual([{ body: { id, attempt: 3, phase: 'broadcast' }, delaySeconds: 10 }]);
    expect(response).toMatchObject({
      id,
      attempt: 2,
      status: 'retrying',
      error: 'txpool is full',
      nextAttemptAt: new Date(world.clock.now().getTime() + 10_000).toISOString(),
    });
    expect(world.chain.lookups).toBe(0);
  });

  it('on the last attempt settle: our hash unseen, it fails and its nonce is filled', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('txpool is full'));
    const response = await broadcastTransaction(world.deps, { id, attempt: settings.maxAttempts });
    expect(world.retries.sent).toEqual([]);
    expect(world.chain.lookups).toBe(2);
    expect(world.nonces.calls.createFiller).toEqual([
      expect.objectContaining({ chainId, from: account.address, nonce: 7, forId: id }),
    ]);
    const filler = world.nonces.calls.createFiller[0];
    expect(response).toMatchObject({ status: 'failed', attempt: settings.maxAttempts, filledBy: filler?.txHash });
    expect(world.chain.sent).toEqual([world.store.record(id)?.rawTx, filler?.rawTx]);
  });
});

describe('broadcastTransaction: nothing sent yet', () => {
  /** A world whose fee data fails `times` times with a transient error (a provider that cannot answer), then answers. */
  function feesFailing(times: number) {
    const world = createBroadcastWorld([pendingTransaction()]);
    let calls = 0;
    world.deps.fees = {
      get: async () => {
        if (calls++ < times) throw rpcError('header not found');
        return fees;
      },
    };
    return world;
  }

  it('a transient failure before signing is retried as the same attempt, not one spent, with when it began', async () => {
    // prepare
    const world = feesFailing(1);
    const began = world.clock.now().getTime();
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    // assess: the first try's delay is drawn up to the base (10 s); 0.5 gives 5 s.
    expect(world.retries.sent).toEqual([
      { body: { id, attempt: 1, phase: 'broadcast', unsentSince: began }, delaySeconds: 5 },
    ]);
    expect(response).toMatchObject({ status: 'retrying', attempt: 1, error: 'header not found' });
    expect(response?.message).toContain('attempt 1 of 3 not spent');
    expect(world.chain.sent).toEqual([]);
    expect(world.store.record(id)?.leaseToken).toBeUndefined();
  });

  it('on the last attempt too: within the budget it is tried again, and then signed and sent', async () => {
    const world = feesFailing(1);
    const last = settings.maxAttempts;
    const first = await broadcastTransaction(world.deps, { id, attempt: last });
    const retry = world.retries.sent[0]?.body as BroadcastMessage | undefined;
    world.clock.advance(5000);
    const second = await broadcastTransaction(world.deps, { id, attempt: last, unsentSince: retry?.unsentSince });
    expect(first).toMatchObject({ status: 'retrying', attempt: last });
    expect(second).toMatchObject({ status: 'success', attempt: last });
    expect(world.chain.sent).toHaveLength(1);
  });

  it('the delays grow with the time it has been tried, and stop at the end of the budget', async () => {
    const world = feesFailing(10);
    const began = world.clock.now().getTime();
    world.clock.advance(60_000);
    await broadcastTransaction(world.deps, { id, attempt: 1, unsentSince: began });
    world.clock.advance(55_000);
    await broadcastTransaction(world.deps, { id, attempt: 1, unsentSince: began });
    // 60 s in: up to 60 s, 0.5 gives 30 s; 115 s in: up to 115 s, but 5 s are left of the 120.
    expect(world.retries.sent.map((m) => [m.body, m.delaySeconds])).toEqual([
      [{ id, attempt: 1, phase: 'broadcast', unsentSince: began }, 30],
      [{ id, attempt: 1, phase: 'broadcast', unsentSince: began }, 5],
    ]);
  });

  it("a message that does not say since when (the sweep's) takes it from the row: past the budget, it fails", async () => {
    const world = feesFailing(1);
    const since = world.clock.now().getTime() - settings.preSendBudgetMs;
    const row = world.store.record(id);
    if (row) row.unsentSince = since;
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(response).toMatchObject({ status: 'failed', attempt: 1 });
    expect(response?.error).toMatch(/^nothing sent in 120 s of trying: /);
    expect(world.retries.sent).toEqual([]);
  });

  it('past the budget it fails with the reason, its reserved nonce filled, never signed', async () => {
    // prepare: signing failed once after the nonce was taken, and has failed since for the whole budget
    const world = createBroadcastWorld([pendingTransaction()]);
    const throttled = () =>
      new KmsSignerError({ keyId: 'key-1', operation: 'Sign', reason: 'throttled', detail: 'rate exceeded' });
    world.signer.fail(throttled());
    const began = world.clock.now().getTime();
    await broadcastTransaction(world.deps, { id, attempt: 1 });
    world.clock.advance(settings.preSendBudgetMs);
    world.signer.fail(throttled());
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: 1, unsentSince: began });
    // assess
    expect(response).toMatchObject({ status: 'failed', attempt: 1 });
    expect(response?.error).toMatch(/^nothing sent in 120 s of trying: /);
    expect(world.nonces.calls.createFiller).toEqual([expect.objectContaining({ nonce: 7, forId: id })]);
    expect(world.store.record(id)?.rawTx).toBeUndefined();
    expect(world.retries.sent).toHaveLength(1);
  });
});

describe('broadcastTransaction: permanent errors', () => {
  it('insufficient funds fails the transaction and fills its nonce with an outbidding self-transfer', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.chain.refuse(rpcError('insufficient funds for gas * price + value'));
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    const filler = world.nonces.calls.createFiller[0];
    expect(filler).toMatchObject({ nonce: 7, forId: id });
    const fill = parseTransaction(filler?.rawTx as Hex);
    expect(fill).toMatchObject({ to: account.address.toLowerCase(), nonce: 7, gas: 21_000n });
    expect(fill.value ?? 0n).toBe(0n);
    expect(fill.maxFeePerGas).toBeGreaterThanOrEqual((fees.maxFeePerGas * 125n) / 100n);
    expect(response).toMatchObject({
      status: 'failed',
      error: 'insufficient funds for gas * price + value',
      filledBy: filler?.txHash,
    });
    expect(world.retries.sent).toEqual([]);
  });

  it('an unconfigured chain fails unsigned, and a duplicate delivery reports it failed again without signing', async () => {
    const world = createBroadcastWorld([pendingTransaction({ chainId: 999 })]);
    const first = await broadcastTransaction(world.deps, { id, attempt: 1 });
    const again = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(first).toMatchObject({ status: 'failed', error: 'chain 999 is not configured' });
    expect(again).toMatchObject({ status: 'failed', error: 'chain 999 is not configured' });
    expect(world.store.record(id)).toMatchObject({ signingClosed: 'chain 999 is not configured' });
    expect(world.store.record(id)?.rawTx).toBeUndefined();
    expect(world.signer.requests).toEqual([]);
  });
});

describe('broadcastTransaction: signing fails after the nonce was taken', () => {
  it('keeps the nonce on the record, and the next attempt signs with that same nonce', async () => {
    // prepare
    const world = createBroadcastWorld([pendingTransaction()]);
    world.signer.fail(
      new KmsSignerError({ keyId: 'key-1', operation: 'Sign', reason: 'throttled', detail: 'rate exceeded' }),
    );
    // act
    const first = await broadcastTransaction(world.deps, { id, attempt: 1 });
    const reserved = structuredClone(world.store.record(id));
    const second = await broadcastTransaction(world.deps, { id, attempt: 2 });
    // assess
    expect(first).toMatchObject({ status: 'retrying' });
    expect(reserved).toMatchObject({ nonce: 7, from: account.address });
    expect(reserved?.rawTx).toBeUndefined();
    expect(reserved?.leaseToken).toBeUndefined(); // the claim was let go for the next attempt
    expect(second).toMatchObject({ status: 'success' });
    expect(world.nonces.calls.allocate).toHaveLength(1);
    expect(world.signer.requests.map((r) => r.nonce)).toEqual([7, 7]);
    expect(parseTransaction(world.store.record(id)?.rawTx as Hex).nonce).toBe(7);
  });

  it('a worker whose claim ran out while it signed stores nothing and says another worker has it', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    world.signer.hooks.beforeSign = () => world.clock.advance((settings.leaseSeconds + 1) * 1000); // a slow KMS
    await expect(broadcastTransaction(world.deps, { id, attempt: 1 })).rejects.toBeInstanceOf(SigningInProgressError);
    expect(world.store.record(id)?.rawTx).toBeUndefined();
    expect(world.chain.sent).toEqual([]);
    expect(world.responses.sent).toEqual([]);
  });
});

describe('broadcastTransaction: messages with nothing to do', () => {
  it('an unknown id gets no response', async () => {
    const world = createBroadcastWorld([]);
    expect(await broadcastTransaction(world.deps, { id: 'nobody', attempt: 1 })).toBeUndefined();
    expect(world.responses.sent).toEqual([]);
  });

  it('a terminal transaction gets no response and is not sent again', async () => {
    const world = createBroadcastWorld([{ ...(await signedEarlier(1)), status: 'success' }]);
    expect(await broadcastTransaction(world.deps, { id, attempt: 2 })).toBeUndefined();
    expect(world.responses.sent).toEqual([]);
    expect(world.chain.sent).toEqual([]);
  });

  it('a transaction another worker is signing (a live lease) is left to it', async () => {
    const world = createBroadcastWorld([pendingTransaction()]);
    const otherWorker = await world.deps.transactions.claimForSigning(
      id,
      { token: 'other-worker', until: world.clock.now().getTime() + 30_000 },
      world.clock.now().getTime(),
    );
    expect(otherWorker).toBeDefined();
    await expect(broadcastTransaction(world.deps, { id, attempt: 1 })).rejects.toBeInstanceOf(SigningInProgressError);
    expect(world.signer.requests).toEqual([]);
    expect(world.nonces.calls.allocate).toEqual([]);
  });
});

describe('broadcastTransaction: attempts spent', () => {
  it('a signed transaction in the settle phase is settled from what the node knows, never sent again', async () => {
    // prepare
    const world = createBroadcastWorld([await signedEarlier(settings.maxAttempts)]);
    world.chain.lookup = (hash) => ({ hash, blockHash: `0x${'01'.repeat(32)}` });
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: settings.maxAttempts, phase: 'settle' });
    // assess
    expect(response).toMatchObject({ status: 'success', attempt: settings.maxAttempts, txHash: expect.any(String) });
    expect(response?.txHash).toMatch(hashPattern);
    expect(world.chain.sent).toEqual([]);
    expect(world.signer.requests).toEqual([]);
  });

  it('a message from before phases were explicit (an attempt past the last) settles too, and never sends', async () => {
    const world = createBroadcastWorld([await signedEarlier(settings.maxAttempts)]);
    world.chain.lookup = (hash) => ({ hash, blockHash: `0x${'01'.repeat(32)}` });
    const response = await broadcastTransaction(world.deps, { id, attempt: settings.maxAttempts + 1 });
    expect(response).toMatchObject({ status: 'success', attempt: settings.maxAttempts });
    expect(world.chain.sent).toEqual([]);
  });

  it('a node that cannot be asked leaves it open, and the next check is asked for in the settle phase', async () => {
    const world = createBroadcastWorld([await signedEarlier(settings.maxAttempts)]);
    world.chain.lookup = () => {
      throw rpcError('ECONNREFUSED');
    };
    world.chain.refuse(rpcError('ECONNREFUSED')); // the filler cannot be sent either
    const response = await broadcastTransaction(world.deps, { id, attempt: settings.maxAttempts, phase: 'settle' });
    expect(response).toMatchObject({ status: 'retrying', attempt: settings.maxAttempts });
    expect(world.retries.sent.map((m) => m.body)).toEqual([{ id, attempt: settings.maxAttempts, phase: 'settle' }]);
  });

  it('unseen past its last attempt, it fails with its nonce filled, and its own bytes are not sent', async () => {
    const earlier = await signedEarlier(settings.maxAttempts);
    const world = createBroadcastWorld([earlier], { chain: createFakeChain({ latest: 7, pending: 8 }) });
    const response = await broadcastTransaction(world.deps, { id, attempt: settings.maxAttempts + 1 });
    const filler = world.nonces.calls.createFiller[0];
    expect(response).toMatchObject({ status: 'failed', error: 'txpool is full', filledBy: filler?.txHash });
    expect(world.chain.sent).toEqual([filler?.rawTx]);
    expect(world.chain.sent).not.toContain(earlier.rawTx);
  });
});

/** ceil(fee × 1.125): the least a replacement may offer over the fee it replaces. */
const bumpOf = (fee: bigint) => (fee * 1125n + 999n) / 1000n;
const signedAt = '2025-01-01T00:00:00.000Z';

/**
 * A transaction the node took (`success`, followed by the tracker): nonce 7, a call with data, value
 * and gas of its own, its bytes stored and one signature in `hashes` at the fake's market fees.
 */
async function takenByNode(overrides: Partial<Transaction> = {}) {
  const { rawTx, txHash } = await signedBytes({ nonce: 7, value: 5n, data: '0xabcdef', gas: 60_000n });
  const tx = pendingTransaction({
    status: 'success',
    message: 'accepted by the node',
    attempts: 1,
    value: '5',
    data: '0xabcdef',
    from: account.address,
    nonce: 7,
    gas: '60000',
    rawTx,
    txHash,
    signedAt,
    hashes: [
      {
        txHash,
        maxFeePerGas: fees.maxFeePerGas.toString(),
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        signedAt,
      },
    ],
    trackToken: 'token-1',
    history: [{ attempt: 1, at: signedAt, outcome: 'success' }],
    ...overrides,
  });
  return { tx, rawTx, txHash };
}

describe('broadcastTransaction: reprice', () => {
  it('signs the same request for the same nonce at fees 12.5% over the latest, stores it as the latest, and sends it', async () => {
    // prepare
    const { tx, rawTx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash });
    // assess
    const stored = world.store.record(id);
    const newRaw = stored?.rawTx as Hex;
    expect(newRaw).not.toBe(rawTx);
    expect(stored?.txHash).toBe(keccak256(newRaw));
    const signed = parseTransaction(newRaw);
    expect(signed).toMatchObject({
      chainId,
      type: 'eip1559',
      nonce: 7,
      to: recipient.toLowerCase(),
      value: 5n,
      data: '0xabcdef',
      gas: 60_000n,
      maxFeePerGas: bumpOf(fees.maxFeePerGas),
      maxPriorityFeePerGas: bumpOf(fees.maxPriorityFeePerGas),
    });
    expect(await recoverTransactionAddress({ serializedTransaction: newRaw as `0x02${string}` })).toBe(account.address);
    expect(stored?.hashes).toEqual([
      { ...tx.hashes?.[0], rawTx },
      {
        txHash: stored?.txHash,
        maxFeePerGas: bumpOf(fees.maxFeePerGas).toString(),
        maxPriorityFeePerGas: bumpOf(fees.maxPriorityFeePerGas).toString(),
        signedAt: world.clock.now().toISOString(),
        kind: 'reprice',
      },
    ]);
    expect(stored?.cancel).toBeUndefined();
    expect(world.chain.sent).toEqual([newRaw]);
    // The tracker follows a success: nothing is reported, nothing retried.
    expect(response).toBeUndefined();
    expect(world.responses.sent).toEqual([]);
    expect(world.retries.sent).toEqual([]);
  });

  it('stores the replacement before it sends it: the node gets bytes the record already holds', async () => {
    const { tx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    const atSend: Array<{ sent: Hex; stored: string | undefined; latest: string | undefined }> = [];
    world.chain.beforeSend = (sent) =>
      atSend.push({
        sent,
        stored: world.store.record(id)?.rawTx,
        latest: world.store.record(id)?.hashes?.at(-1)?.txHash,
      });
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash });
    const [send] = atSend;
    expect(atSend).toHaveLength(1);
    expect(send?.stored).toBe(send?.sent);
    expect(send?.latest).toBe(keccak256(send?.sent as Hex));
    expect(send?.sent).not.toBe(tx.rawTx);
  });

  it('offers the market fees where they are above the bump', async () => {
    const { tx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    const market = { maxFeePerGas: 9_000_000_000n, maxPriorityFeePerGas: 4_000_000_000n };
    world.deps.fees = { get: async () => market };
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash });
    expect(parseTransaction(world.store.record(id)?.rawTx as Hex)).toMatchObject(market);
    expect(world.store.record(id)?.hashes?.at(-1)).toMatchObject({ maxFeePerGas: '9000000000', kind: 'reprice' });
  });

  it('a message whose replaces is not the latest signature signs nothing and sends nothing', async () => {
    const { tx } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    const other = (await signedBytes({ nonce: 7, value: 9n })).txHash;
    const response = await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: other });
    expect(response).toBeUndefined();
    expect(world.signer.requests).toEqual([]);
    expect(world.chain.sent).toEqual([]);
    expect(world.store.record(id)).toMatchObject({ rawTx: tx.rawTx, txHash: tx.txHash, hashes: tx.hashes });
  });

  it('two asks naming the same latest signature make one replacement', async () => {
    const { tx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash });
    const once = structuredClone(world.store.record(id));
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash });
    expect(world.signer.requests).toHaveLength(1);
    expect(world.store.record(id)?.hashes).toHaveLength(2);
    expect(world.store.record(id)).toEqual(once);
    expect(world.chain.sent).toHaveLength(1);
  });

  it('a re-price of a cancel stays a cancel', async () => {
    const { tx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'cancel', replaces: txHash });
    const cancelHash = world.store.record(id)?.txHash;
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: cancelHash });
    const stored = world.store.record(id);
    expect(stored?.hashes?.map((h) => h.kind)).toEqual([undefined, 'cancel', 'cancel']);
    const signed = parseTransaction(stored?.rawTx as Hex);
    expect(signed).toMatchObject({ nonce: 7, to: account.address.toLowerCase(), gas: 21_000n });
    expect(signed.value ?? 0n).toBe(0n);
    expect(signed.maxFeePerGas).toBe(bumpOf(bumpOf(fees.maxFeePerGas)));
  });

  it('a transaction already in a block is not replaced', async () => {
    const { tx, txHash } = await takenByNode({ status: 'mined' });
    const world = createBroadcastWorld([tx]);
    expect(
      await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash }),
    ).toBeUndefined();
    expect(world.signer.requests).toEqual([]);
    expect(world.chain.sent).toEqual([]);
  });
});

describe('broadcastTransaction: cancel', () => {
  it('signs a zero-value transfer to the sender for the same nonce, stores it as a cancel for validUntil, and sends it', async () => {
    // prepare
    const { tx, rawTx, txHash } = await takenByNode({ validUntil: '2024-12-31T23:59:00.000Z' });
    const world = createBroadcastWorld([tx]);
    // act
    const response = await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'cancel', replaces: txHash });
    // assess
    const stored = world.store.record(id);
    const cancelRaw = stored?.rawTx as Hex;
    const signed = parseTransaction(cancelRaw);
    expect(signed).toMatchObject({ chainId, nonce: 7, to: account.address.toLowerCase(), gas: 21_000n });
    expect(signed.value ?? 0n).toBe(0n);
    expect(signed.data ?? '0x').toBe('0x');
    expect(signed.maxFeePerGas).toBeGreaterThanOrEqual(bumpOf(fees.maxFeePerGas));
    expect(signed.maxPriorityFeePerGas).toBeGreaterThanOrEqual(bumpOf(fees.maxPriorityFeePerGas));
    expect(stored?.txHash).toBe(keccak256(cancelRaw));
    expect(stored?.hashes).toHaveLength(2);
    expect(stored?.hashes?.[0]).toMatchObject({ txHash, rawTx });
    expect(stored?.hashes?.[1]).toMatchObject({ txHash: stored?.txHash, kind: 'cancel' });
    expect(stored?.cancel).toEqual({
      requestedAt: world.clock.now().toISOString(),
      by: 'validUntil',
      reason: 'expired',
    });
    expect(world.chain.sent).toEqual([cancelRaw]);
    expect(response).toBeUndefined();
    expect(world.responses.sent).toEqual([]);
  });

  it('keeps the cancel a caller asked for as the record holds it', async () => {
    const asked = { requestedAt: '2024-12-31T23:00:00.000Z', by: 'client-a', reason: 'requested' as const };
    const { tx } = await takenByNode({ cancel: asked });
    const world = createBroadcastWorld([tx]);
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'cancel' });
    expect(world.store.record(id)?.hashes?.at(-1)?.kind).toBe('cancel');
    expect(world.store.record(id)?.cancel).toEqual(asked);
  });

  it.each([
    { asker: 'the tracker (naming the signature it replaced)', replacesOriginal: true },
    { asker: 'the api (naming none)', replacesOriginal: false },
  ])('a second cancel from $asker signs nothing new and sends the cancel bytes again', async ({ replacesOriginal }) => {
    const { tx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'cancel', replaces: txHash });
    const cancelRaw = world.store.record(id)?.rawTx as Hex;
    const response = await broadcastTransaction(world.deps, {
      id,
      attempt: 1,
      phase: 'cancel',
      ...(replacesOriginal ? { replaces: txHash } : {}),
    });
    expect(response).toBeUndefined();
    expect(world.signer.requests).toHaveLength(1);
    expect(world.store.record(id)?.hashes).toHaveLength(2);
    expect(world.chain.sent).toEqual([cancelRaw, cancelRaw]);
  });

  it('a signed transaction still retrying: signs its cancel, sends it, and reports success with the cancel hash', async () => {
    // The api recorded the cancel, then asked for it (naming no signature).
    const asked = { requestedAt: '2024-12-31T23:00:00.000Z', by: 'admin', reason: 'requested' as const };
    const { tx, rawTx } = await takenByNode({
      status: 'retrying',
      cancel: asked,
      trackToken: undefined,
      history: [{ attempt: 1, at: signedAt, outcome: 'retrying', error: 'txpool is full' }],
    });
    const world = createBroadcastWorld([tx]);
    const response = await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'cancel' });
    const stored = world.store.record(id);
    const cancelHash = stored?.txHash;
    expect(cancelHash).not.toBe(tx.txHash);
    expect(stored?.hashes?.at(-1)).toMatchObject({ txHash: cancelHash, kind: 'cancel' });
    expect(stored?.cancel).toEqual(asked);
    expect(parseTransaction(stored?.rawTx as Hex)).toMatchObject({ nonce: 7, to: account.address.toLowerCase() });
    expect(world.chain.sent).toEqual([stored?.rawTx]);
    expect(world.chain.sent).not.toContain(rawTx);
    expect(response).toMatchObject({ id, attempt: 1, status: 'success', txHash: cancelHash });
    expect(world.responses.sent.map((s) => s.body)).toEqual([response]);
  });
});

describe('broadcastTransaction: a replacement the fee cap leaves no room for', () => {
  it.each(['reprice', 'cancel'] as const)(
    '%s with the cap under the 12.5%% bump signs nothing (a re-price keeps its bytes in the pool, a cancel never sends the original again)',
    async (phase) => {
      const { tx, rawTx, txHash } = await takenByNode();
      const world = createBroadcastWorld([tx]);
      // The bump needs a max fee of 2.25 gwei; the cap is 1 wei short of it.
      world.deps.settings = { ...settings, feeCapWei: () => bumpOf(fees.maxFeePerGas) - 1n };
      const response = await broadcastTransaction(world.deps, { id, attempt: 1, phase, replaces: txHash });
      expect(response).toBeUndefined();
      expect(world.signer.requests).toEqual([]);
      expect(world.chain.sent).toEqual(phase === 'reprice' ? [rawTx] : []);
      expect(world.store.record(id)).toMatchObject({ rawTx, txHash, hashes: tx.hashes });
      expect(world.store.record(id)?.cancel).toBeUndefined();
    },
  );

  it('with the cap exactly at the bump, it re-prices at the cap', async () => {
    const { tx, txHash } = await takenByNode();
    const world = createBroadcastWorld([tx]);
    world.deps.settings = { ...settings, feeCapWei: () => bumpOf(fees.maxFeePerGas) };
    world.deps.fees = { get: async () => ({ maxFeePerGas: 50_000_000_000n, maxPriorityFeePerGas: 1n }) };
    await broadcastTransaction(world.deps, { id, attempt: 1, phase: 'reprice', replaces: txHash });
    expect(world.signer.requests).toHaveLength(1);
    expect(parseTransaction(world.store.record(id)?.rawTx as Hex).maxFeePerGas).toBe(bumpOf(fees.maxFeePerGas));
  });
});

describe('broadcastTransaction: validUntil before it is signed', () => {
  it('past validUntil and never signed, it ends failed as canceled, closed, and is never signed', async () => {
    // The clock stands at 2025-01-01T00:00:00Z.
    const world = createBroadcastWorld([pendingTransaction({ validUntil: '2024-12-31T23:59:59.000Z' })]);
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(response).toMatchObject({ id, status: 'failed', error: expect.stringMatching(/^canceled/) });
    expect(response?.error).toContain('2024-12-31T23:59:59.000Z');
    const stored = world.store.record(id);
    expect(stored?.signingClosed).toBe(response?.error);
    expect(stored?.rawTx).toBeUndefined();
    expect(world.signer.requests).toEqual([]);
    expect(world.nonces.calls.allocate).toEqual([]);
    expect(world.chain.sent).toEqual([]);
    // A second delivery reports it failed again and signs nothing.
    const again = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(again).toMatchObject({ status: 'failed', error: response?.error });
    expect(world.signer.requests).toEqual([]);
  });

  it('before validUntil, it is signed and sent as any other', async () => {
    const world = createBroadcastWorld([pendingTransaction({ validUntil: '2025-01-01T00:00:01.000Z' })]);
    const response = await broadcastTransaction(world.deps, { id, attempt: 1 });
    expect(response).toMatchObject({ status: 'success', txHash: world.store.record(id)?.txHash });
    expect(world.signer.requests).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { NonceCounter, NonceHolder } from '../../functions/lib/store/NonceStore.ts';
import { findNonceGaps } from '../../functions/lib/sweep/findNonceGaps.ts';
import {
  account,
  chainId,
  createClock,
  createFakeChain,
  createFakeNonces,
  createFakeRegistry,
  createRecordingQueue,
  rpcError,
  signedBytes,
  silentLogger,
} from './fakes/broadcastFakes.ts';

const leaseSeconds = 60;
const from = account.address;
const clock = createClock('2025-01-01T12:00:00.000Z');
/** Stored this long ago, a record is older than two signing leases: no worker can still be storing it. */
const ago = (seconds: number) => new Date(clock.now().getTime() - seconds * 1000);
const settled = ago(3 * leaseSeconds);
const recent = ago(5);

const counter = (fields: Partial<NonceCounter> & Pick<NonceCounter, 'next'>): NonceCounter => ({
  chainId,
  from,
  allocatedAt: settled.getTime(),
  ...fields,
});

function tx(nonce: number, status: string, signedAt: Date, rawTx = ''): NonceHolder {
  return { kind: 'tx', nonce, id: `tx-${nonce}`, status, rawTx, txHash: '', signedAt: signedAt.toISOString() };
}

/** The sweep's world: the chains given, nonce counters and holders, a recording requests queue. */
function sweepWorld(
  chains: Record<number, ReturnType<typeof createFakeChain>>,
  counters: NonceCounter[],
  holders: Record<string, NonceHolder[]> = {},
) {
  const nonces = createFakeNonces({ counters, holders });
  const requests = createRecordingQueue();
  const deps = {
    chains: createFakeRegistry(chains),
    nonces: nonces.store,
    requests: requests.queue,
    logger: silentLogger(),
    now: clock.now,
    settings: { leaseSeconds },
  };
  return { deps, nonces, requests };
}

const holdersOf = (list: NonceHolder[]) => ({ [`${chainId}#${from.toLowerCase()}`]: list });

describe('findNonceGaps', () => {
  it('raises the counter to a chain that is ahead of it, and fills nothing', async () => {
    // prepare
    const world = sweepWorld({ [chainId]: createFakeChain({ latest: 8 }) }, [counter({ next: 5 })]);
    // act
    const reports = await findNonceGaps(world.deps);
    // assess
    expect(world.nonces.calls.raiseFloor).toEqual([{ chainId, from, floor: 8 }]);
    expect(world.nonces.counter(chainId, from)).toMatchObject({ next: 8, external: { from: 5, to: 8 } });
    expect(reports).toEqual([{ chainId, from, mined: 8, next: 5, filled: [], resent: [], repriced: [] }]);
    expect(world.requests.sent).toEqual([]);
  });

  it('asks for a filler for a hole older than two leases, and leaves a newer one to the worker storing it', async () => {
    // prepare: nonce 3 sits below a record stored long ago; nonce 6 only below records stored just now.
    const world = sweepWorld(
      { [chainId]: createFakeChain({ latest: 2 }) },
      [counter({ next: 8, allocatedAt: recent.getTime() })],
      holdersOf([
        tx(2, 'pending', settled),
        tx(4, 'pending', settled),
        tx(5, 'pending', recent),
        tx(7, 'pending', recent),
      ]),
    );
    // act
    const [report] = await findNonceGaps(world.deps);
    // assess
    expect(world.requests.sent).toEqual([
      {
        body: { fill: { chainId, from, nonce: 3, reason: 'nonce 3 was taken but never used' } },
        delaySeconds: undefined,
      },
    ]);
    expect(report).toMatchObject({ mined: 2, next: 8, filled: [3] });
  });

  it('never fills a nonce in the range someone else used', async () => {
    // Nonces 3 and 4 were skipped when the counter was raised past another sender's transactions.
    const world = sweepWorld(
      { [chainId]: createFakeChain({ latest: 2 }) },
      [counter({ next: 7, external: { from: 3, to: 5 } })],
      holdersOf([tx(2, 'pending', settled), tx(5, 'pending', settled)]),
    );
    const [report] = await findNonceGaps(world.deps);
    expect(report?.filled).toEqual([6]);
    expect(world.requests.sent.map((s) => s.body)).toEqual([
      { fill: { chainId, from, nonce: 6, reason: 'nonce 6 was taken but never used' } },
    ]);
  });

  it('fills a nonce held only by a transaction that failed before it was signed', async () => {
    const world = sweepWorld(
      { [chainId]: createFakeChain({ latest: 2 }) },
      [counter({ next: 3 })],
      holdersOf([tx(2, 'failed', settled)]),
    );
    const [report] = await findNonceGaps(world.deps);
    expect(report?.filled).toEqual([2]);
    expect(world.requests.sent.map((s) => s.body)).toEqual([
      {
        fill: {
          chainId,
          from,
          nonce: 2,
          reason: 'nonce 2 is held only by a transaction that failed before it was signed',
        },
      },
    ]);
  });

  it('sends again the bytes of fillers not yet mined, and of nothing else: what the node took is the tracker’s', async () => {
    // prepare
    const success = await signedBytes({ nonce: 2 });
    const pending = await signedBytes({ nonce: 3 });
    const failed = await signedBytes({ nonce: 4 });
    const filler = await signedBytes({ nonce: 5, to: from, value: 0n });
    const chain = createFakeChain({ latest: 2 });
    const world = sweepWorld({ [chainId]: chain }, [counter({ next: 6 })], {
      ...holdersOf([
        tx(2, 'success', settled, success.rawTx),
        tx(3, 'pending', settled, pending.rawTx),
        tx(4, 'failed', settled, failed.rawTx),
        { kind: 'filler', nonce: 5, rawTx: filler.rawTx, txHash: filler.txHash, createdAt: settled.toISOString() },
      ]),
    });
    // act
    const [report] = await findNonceGaps(world.deps);
    // assess
    expect(chain.sent).toEqual([filler.rawTx]);
    expect(report?.resent).toEqual([5]);
    // Not the lowest unmined nonce: it holds up nobody yet, so it is not re-priced.
    expect(world.requests.sent).toEqual([]);
  });

  it('asks the broadcaster to re-price a filler that holds up its sender since before the last sweep', async () => {
    // prepare
    const old = await signedBytes({ nonce: 2, to: from, value: 0n });
    const fresh = await signedBytes({ nonce: 3, to: from, value: 0n });
    const chain = createFakeChain({ latest: 2 });
    const world = sweepWorld({ [chainId]: chain }, [counter({ next: 4 })], {
      ...holdersOf([
        { kind: 'filler', nonce: 2, rawTx: old.rawTx, txHash: old.txHash, createdAt: settled.toISOString() },
        { kind: 'filler', nonce: 3, rawTx: fresh.rawTx, txHash: fresh.txHash, createdAt: settled.toISOString() },
      ]),
    });
    // act
    const [report] = await findNonceGaps(world.deps);
    // assess: only the one at the chain's next nonce (2) holds the others up
    expect(report?.repriced).toEqual([2]);
    expect(world.requests.sent).toEqual([
      {
        body: { fill: expect.objectContaining({ chainId, from, nonce: 2, reprice: old.txHash }) },
        delaySeconds: undefined,
      },
    ]);
  });

  it('does not re-price a filler signed (or re-priced) since the last sweep', async () => {
    const filler = await signedBytes({ nonce: 2, to: from, value: 0n });
    const chain = createFakeChain({ latest: 2 });
    const world = sweepWorld({ [chainId]: chain }, [counter({ next: 3 })], {
      ...holdersOf([
        { kind: 'filler', nonce: 2, rawTx: filler.rawTx, txHash: filler.txHash, createdAt: recent.toISOString() },
      ]),
    });
    const [report] = await findNonceGaps(world.deps);
    expect(report?.repriced).toEqual([]);
    expect(chain.sent).toEqual([filler.rawTx]);
  });

  it('goes on to the other chains when one is unreachable', async () => {
    const down = createFakeChain({ latest: 0 });
    down.down = rpcError('ECONNREFUSED');
    const up = createFakeChain({ latest: 9 });
    const world = sweepWorld({ 1: down, 2: up }, [
      counter({ chainId: 1, next: 4 }),
      counter({ chainId: 2, next: 5 }),
      counter({ chainId: 3, next: 1 }), // a chain this deployment no longer serves
    ]);
    const reports = await findNonceGaps(world.deps);
    expect(reports.map((r) => r.chainId)).toEqual([2]);
    expect(world.nonces.calls.raiseFloor).toEqual([{ chainId: 2, from, floor: 9 }]);
  });
});

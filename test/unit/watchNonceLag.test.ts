import { describe, expect, it } from 'vitest';
import { signerSet } from '../../functions/lib/chain/Signer.ts';
import type { NonceCounter } from '../../functions/lib/store/NonceStore.ts';
import { type NonceSeen, type NonceWatch, nonceWatchKeyOf } from '../../functions/lib/store/NonceWatch.ts';
import { watchNonceLag } from '../../functions/lib/sweep/watchNonceLag.ts';
import { recordingMetrics } from '../support/recordingMetrics.ts';
import {
  account,
  chainId,
  createClock,
  createFakeChain,
  createFakeNonces,
  createFakeRegistry,
  rpcError,
} from './fakes/broadcastFakes.ts';

const stallAfterSeconds = 600;
const from = account.address;
const otherChain = 137;

/** The watch's marks, in memory, as the table keeps them. */
function createFakeWatch() {
  const marks = new Map<string, NonceSeen>();
  const watch: NonceWatch = {
    async seen(signers) {
      const found = new Map<string, NonceSeen>();
      for (const s of signers) {
        const mark = marks.get(nonceWatchKeyOf(s.chainId, s.address));
        if (mark) found.set(nonceWatchKeyOf(s.chainId, s.address), { ...mark });
      }
      return found;
    },
    async mark(chain, address, seen) {
      marks.set(nonceWatchKeyOf(chain, address), { ...seen });
    },
    async clear(chain, address) {
      marks.delete(nonceWatchKeyOf(chain, address));
    },
  };
  return { watch, marks };
}

/** The sweep's metrics, recorded: each NonceLag with its chain and signer, and each run's SignersStalled. */
function createRecordingMetrics() {
  const recorded = recordingMetrics<'sweep'>();
  return {
    sink: recorded.sink,
    seen: {
      get lags() {
        return recorded.points
          .filter((p) => p.key === 'nonceLag')
          .map((p) => ({ chainId: p.dimensions?.chainId, address: p.dimensions?.signer, lag: p.value }));
      },
      get stalled() {
        return recorded.values('stalledSigners');
      },
    },
  };
}

/** A logger that keeps its warnings. */
function createWarnings() {
  const lines: Array<{ message: string; fields: unknown }> = [];
  return {
    lines,
    logger: {
      warn(message: string, ...extra: unknown[]) {
        lines.push({ message, fields: extra[0] });
      },
    },
  };
}

/** The sweep's world: the chains given (mined nonce `latest`), the counters given, the dev signer. */
function lagWorld(chains: Record<number, ReturnType<typeof createFakeChain>>, counters: NonceCounter[]) {
  const clock = createClock('2025-01-01T12:00:00.000Z');
  const watch = createFakeWatch();
  const metrics = createRecordingMetrics();
  const warnings = createWarnings();
  const deps = {
    signers: async () => signerSet([account]),
    chains: createFakeRegistry(chains),
    nonces: createFakeNonces({ counters }).store,
    watch: watch.watch,
    stallAfterSeconds,
    metrics: metrics.sink,
    logger: warnings.logger,
    now: clock.now,
  };
  return { deps, clock, watch, metrics, warnings };
}

const counter = (next: number, chain = chainId): NonceCounter => ({ chainId: chain, from, next, allocatedAt: 0 });
const stalledWarnings = (w: ReturnType<typeof createWarnings>) => w.lines.filter((l) => /not mined/.test(l.message));

describe('watchNonceLag', () => {
  it('publishes the counter’s next nonce minus the chain’s mined nonce, per signer, and the stalled count', async () => {
    // prepare
    const world = lagWorld({ [chainId]: createFakeChain({ latest: 5, pending: 9 }) }, [counter(9)]);
    // act
    const lags = await watchNonceLag(world.deps);
    // assess
    expect(lags).toEqual([
      { chainId, address: from, lag: 4, mined: 5, since: '2025-01-01T12:00:00.000Z', stalled: false },
    ]);
    expect(world.metrics.seen.lags).toEqual([{ chainId, address: from, lag: 4 }]);
    expect(world.metrics.seen.stalled).toEqual([0]);
  });

  it('counts a signer whose counter is not seeded as lag 0, never stalled', async () => {
    const world = lagWorld({ [chainId]: createFakeChain({ latest: 3 }) }, []);
    await watchNonceLag(world.deps);
    world.clock.advance(2 * stallAfterSeconds * 1000);
    const lags = await watchNonceLag(world.deps);
    expect(lags).toEqual([{ chainId, address: from, lag: 0, mined: 3, stalled: false }]);
    expect(world.metrics.seen.lags.map((l) => l.lag)).toEqual([0, 0]);
    expect(world.metrics.seen.stalled).toEqual([0, 0]);
    expect(world.watch.marks.size).toBe(0);
  });

  it('calls a signer stalled only once its mined nonce has stood still STALL_AFTER_SECONDS with a lag, and warns each run', async () => {
    const world = lagWorld({ [chainId]: createFakeChain({ latest: 5 }) }, [counter(8)]);
    expect((await watchNonceLag(world.deps))[0]?.stalled).toBe(false);
    world.clock.advance((stallAfterSeconds - 1) * 1000);
    expect((await watchNonceLag(world.deps))[0]?.stalled).toBe(false);
    expect(stalledWarnings(world.warnings)).toEqual([]);

    world.clock.advance(1000);
    const [lag] = await watchNonceLag(world.deps);
    expect(lag).toMatchObject({ lag: 3, mined: 5, since: '2025-01-01T12:00:00.000Z', stalled: true });
    world.clock.advance(60_000);
    await watchNonceLag(world.deps);
    expect(world.metrics.seen.stalled).toEqual([0, 0, 1, 1]);
    // One warning a run, naming the chain, the signer, the lag, the mined nonce and since when.
    expect(stalledWarnings(world.warnings).map((w) => w.fields)).toEqual([
      { chainId, signer: from, lag: 3, mined: 5, since: '2025-01-01T12:00:00.000Z' },
      { chainId, signer: from, lag: 3, mined: 5, since: '2025-01-01T12:00:00.000Z' },
    ]);
  });

  it('starts the clock again when the mined nonce moves', async () => {
    const chain = createFakeChain({ latest: 5 });
    const world = lagWorld({ [chainId]: chain }, [counter(8)]);
    await watchNonceLag(world.deps);
    world.clock.advance(stallAfterSeconds * 1000);
    expect((await watchNonceLag(world.deps))[0]?.stalled).toBe(true);

    // One mined: still a lag, but the chain is moving.
    chain.latest = 6;
    const [moved] = await watchNonceLag(world.deps);
    expect(moved).toMatchObject({ lag: 2, mined: 6, stalled: false, since: world.clock.now().toISOString() });
    world.clock.advance((stallAfterSeconds - 1) * 1000);
    expect((await watchNonceLag(world.deps))[0]?.stalled).toBe(false);
    world.clock.advance(1000);
    expect((await watchNonceLag(world.deps))[0]?.stalled).toBe(true);
    expect(world.metrics.seen.stalled).toEqual([0, 1, 0, 0, 1]);
  });

  it('never calls a signer with lag 0 stalled, and times its next lag from when it appears', async () => {
    const world = lagWorld({ [chainId]: createFakeChain({ latest: 5 }) }, [counter(6)]);
    await watchNonceLag(world.deps);
    expect(world.watch.marks.size).toBe(1);
    // All mined: lag 0, the mark is cleared; however long it stays idle, it is not stalled.
    const nonces = createFakeNonces({ counters: [counter(5)] }).store;
    world.deps.nonces = nonces;
    await watchNonceLag(world.deps);
    expect(world.watch.marks.size).toBe(0);
    world.clock.advance(10 * stallAfterSeconds * 1000);
    const [idle] = await watchNonceLag(world.deps);
    expect(idle).toEqual({ chainId, address: from, lag: 0, mined: 5, stalled: false });

    // A new transaction taken after hours idle: its lag is timed from now, not from the last move.
    world.deps.nonces = createFakeNonces({ counters: [counter(6)] }).store;
    expect((await watchNonceLag(world.deps))[0]).toMatchObject({ lag: 1, stalled: false });
    expect(world.metrics.seen.stalled).toEqual([0, 0, 0, 0]);
  });

  it('skips a chain that does not answer, warning, and reports the others', async () => {
    const down = createFakeChain({ latest: 1 });
    down.down = rpcError('connection refused');
    const world = lagWorld({ [chainId]: createFakeChain({ latest: 5 }), [otherChain]: down }, [
      counter(7),
      counter(4, otherChain),
    ]);
    const lags = await watchNonceLag(world.deps);
    expect(lags.map((l) => [l.chainId, l.lag])).toEqual([[chainId, 2]]);
    expect(world.metrics.seen.lags).toEqual([{ chainId, address: from, lag: 2 }]);
    expect(world.warnings.lines).toEqual([
      { message: 'nonce lag watch: a chain did not answer', fields: { chainId: otherChain, error: 'Error' } },
    ]);
    expect(world.watch.marks.has(nonceWatchKeyOf(otherChain, from))).toBe(false);
  });
});

import { isBroadcast, statuses } from '../functions/lib/transactions/status.ts';
import type { Counts } from './createCounters.ts';
import { createSightings } from './createSightings.ts';
import { inFlight } from './inFlight.ts';
import { percentile } from './percentile.ts';
import type { PhaseOptions } from './runCeiling.ts';
import type { BenchStack } from './startBenchStack.ts';
import { type Throughput, throughput } from './Throughput.ts';

/** What the pipeline phase measured and counted. */
export type PipelineResult = {
  throughput: Throughput;
  /** `POST /transactions` answer times, ms. */
  post: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** From sending the `POST` to the updater recording `success`, ms. */
  success: { p50: number; p99: number; max: number };
  /** From sending the `POST` to the updater recording it `confirmed` (or `reverted`) at the chain's depth, ms. */
  final: { p50: number; p99: number; max: number };
  /** Counted until every transaction was `success` and its messages were deleted. */
  counts: Counts;
  /** Counted until every transaction was final: the whole happy path, the tracker's looks included. */
  countsToFinal: Counts;
  logBytes: number;
  logBytesToFinal: number;
  /**
   * Each transaction read back over the API after the clock stopped: how many the node took (`success`,
   * or already mined or confirmed by the tracker since), each with its own nonce.
   */
  verified: { success: number; distinctNonces: number };
};

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pipeline: `n` `POST /transactions` with `Prefer: respond-async`, `c` in flight, timed from the first
 * `POST` until the updater has recorded every one `success` (heard from the stack's counters, so that the
 * clock adds no polling load). Counters are zeroed after the warm-up, and read once every message of the
 * measured transactions has been deleted from its queue; then read again once the tracker has followed
 * every one to `confirmed`, so the report can say what tracking adds.
 */
export async function runPipeline(stack: BenchStack, token: string, options: PhaseOptions): Promise<PipelineResult> {
  const succeeded = createSightings('success');
  const finals = createSightings('final');
  const successAt = succeeded.at;
  const finalAt = finals.at;
  stack.onSuccess(({ id, at, status }) => {
    // At the local chain's depth of 1 a receipt is final at once; a `mined` on the way is not what is timed here.
    if (status === 'mined') return;
    (status === 'success' ? succeeded : finals).see(id, at);
  });

  /** Resolves once every one of `ids` is final (heard from the counters, as `success` is). */
  const allFinal = (ids: string[]) => finals.all(ids, 60_000 + ids.length * 20);
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    prefer: 'respond-async',
  };
  const body = JSON.stringify({ to: options.to, value: '1', ...(options.estimateGas ? {} : { gas: '21000' }) });

  /** Sends `count` transactions; resolves with their ids, send times and answer times once all are `success`. */
  async function batch(count: number) {
    const ids: string[] = [];
    const sentAt: number[] = [];
    const latency: number[] = [];
    let errors = 0;
    const start = Date.now();
    await inFlight(options.c, count, async (i) => {
      sentAt[i] = Date.now();
      const t0 = performance.now();
      const res = await fetch(`${stack.url}/transactions`, { method: 'POST', headers, body });
      const answer = (await res.json()) as { id?: string };
      latency[i] = performance.now() - t0;
      if (res.status !== 202 || !answer.id) {
        errors++;
        return;
      }
      ids[i] = answer.id;
    });
    await succeeded.all(ids, 60_000 + count * 20);
    const end = Math.max(...ids.map((id) => successAt.get(id) ?? 0));
    return { ids, sentAt, latency, errors, start, end };
  }

  /**
   * Waits until every message of `count` transactions has left the requests and the responses queue
   * (`responsesEach`: how many responses each has by then) and, with `tracked`, the tracking queue.
   */
  async function settled(count: number, responsesEach = 1, tracked = false) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const snap = await stack.snapshot();
      const m = snap.counts.messages;
      const done =
        (m.requests?.deleted ?? 0) >= count &&
        (m.responses?.deleted ?? 0) >= count * responsesEach &&
        (!tracked || (m.tracking?.deleted ?? 0) >= count);
      if (done || Date.now() > deadline) return snap;
      await sleep(100);
    }
  }

  if (options.warmup > 0) {
    stack.reset();
    const warm = await batch(options.warmup);
    await allFinal(warm.ids);
    await settled(options.warmup, 2, true);
  }
  stack.reset();
  const run = await batch(options.n);
  const { counts, logBytes } = await settled(options.n);
  // Then the tracker follows each to its depth: what it adds is the difference of the two snapshots.
  await allFinal(run.ids);
  const toFinal = await settled(options.n, 2, true);
  const final = run.ids.map((id, i) => (finalAt.get(id) ?? Date.now()) - (run.sentAt[i] ?? run.start));

  const toSuccess = run.ids.map((id, i) => (successAt.get(id) ?? run.end) - (run.sentAt[i] ?? run.start));
  const nonces = new Set<number>();
  let success = 0;
  await inFlight(options.c, run.ids.length, async (i) => {
    const res = await fetch(`${stack.url}/transactions/${run.ids[i]}`, { headers });
    const tx = (await res.json()) as { status?: string; nonce?: number };
    // The tracker moves each one on from success within seconds: any later status counts too.
    const status = statuses.find((s) => s === tx.status);
    if (status && isBroadcast(status)) success++;
    if (typeof tx.nonce === 'number') nonces.add(tx.nonce);
  });
  return {
    throughput: throughput(options.n, run.end - run.start, run.errors),
    post: {
      mean: run.latency.reduce((a, b) => a + b, 0) / Math.max(1, run.latency.length),
      p50: percentile(run.latency, 50),
      p95: percentile(run.latency, 95),
      p99: percentile(run.latency, 99),
      max: percentile(run.latency, 100),
    },
    success: { p50: percentile(toSuccess, 50), p99: percentile(toSuccess, 99), max: percentile(toSuccess, 100) },
    final: { p50: percentile(final, 50), p99: percentile(final, 99), max: percentile(final, 100) },
    counts,
    countsToFinal: toFinal.counts,
    logBytes,
    logBytesToFinal: toFinal.logBytes,
    verified: { success, distinctNonces: nonces.size },
  };
}

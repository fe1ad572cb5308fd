import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { startAnvil } from '../infra/local/emulators.ts';
import { type BenchTokens, postAsync, stackEnv } from './benchHelpers.ts';
import { createSightings } from './createSightings.ts';
import { startBenchStack } from './startBenchStack.ts';

/** One overload run: how fast it was posted, how long it took to drain, and what went on the requests queue. */
export type OverloadRun = {
  /** Seconds from the first `POST` to the last answer. */
  postSeconds: number;
  /** Seconds from the first `POST` until the updater recorded the last one `success`. */
  drainSeconds: number;
  /** Messages sent to the requests queue per transaction: the api's one, and any the sweep added. */
  messagesPerTx: number;
  /** Messages the broadcaster received from the requests and retry queues per transaction. */
  receivedPerTx: number;
};

export type OverloadResult = {
  n: number;
  c: number;
  /** The stack's settings that make it overloaded, and its sweep eager. */
  stack: { workers: number; batchSize: number; staleAfterSeconds: number; sweepIntervalSeconds: number };
  withSweep: OverloadRun;
  /** The same with the sweep every hour (only its start-up run). */
  withoutSweep: OverloadRun;
  targets: {
    messagesPerTx: { atMost: number; met: boolean };
    /** Drain with the sweep no slower than without, within 10% (two runs on one machine differ by that). */
    drain: { atMostRatio: number; ratio: number; met: boolean };
  };
};

export type OverloadOptions = { n: number; c: number; to: Hex; tokens: BenchTokens };

const chainId = 31337;
const workers = 1;
const batchSize = 1;
const staleAfterSeconds = 2;
const sweepIntervalSeconds = 1;

/**
 * Posts `n` transactions at `c` in flight into a stack whose one broadcaster worker takes one message at a
 * time, so that the requests queue holds most of them for several sweeps' stale time, and times the drain.
 */
async function runOnce(options: OverloadOptions, sweepEverySeconds: number): Promise<OverloadRun> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-overload-'));
  const anvil = await startAnvil({ chainId });
  try {
    const stack = await startBenchStack(
      stackEnv(dataDir, anvil.url, options.tokens, {
        MAX_IN_FLIGHT_PER_SIGNER: '100000',
        WORKERS: String(workers),
        BATCH_SIZE: String(batchSize),
        STALE_AFTER_SECONDS: String(staleAfterSeconds),
        SWEEP_INTERVAL_SECONDS: String(sweepEverySeconds),
      }),
    );
    try {
      const succeeded = createSightings('success');
      stack.onSuccess(({ id, at, status }) => {
        if (status === 'success') succeeded.see(id, at);
      });
      stack.reset();
      const start = Date.now();
      const ids = await postAsync(stack, options.tokens.client, options.to, options.n, options.c);
      const posted = Date.now();
      await succeeded.all(ids, 120_000 + options.n * 100);
      const last = Math.max(...ids.map((id) => succeeded.at.get(id) ?? 0));
      const { counts } = await stack.snapshot();
      const requests = counts.messages.requests ?? { sent: 0, received: 0, deleted: 0 };
      const retry = counts.messages.retry ?? { sent: 0, received: 0, deleted: 0 };
      return {
        postSeconds: (posted - start) / 1000,
        drainSeconds: (last - start) / 1000,
        messagesPerTx: requests.sent / options.n,
        receivedPerTx: (requests.received + retry.received) / options.n,
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await anvil.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Overload: posting faster than the workers can go, with the sweep every second and rows stale after 2 s
 * (on AWS: every minute, 60 s), against the same without the sweep. A sweep that re-enqueued what waits
 * in a busy queue would multiply the messages exactly when the workers are behind.
 */
export async function runOverload(options: OverloadOptions): Promise<OverloadResult> {
  const withSweep = await runOnce(options, sweepIntervalSeconds);
  const withoutSweep = await runOnce(options, 3600);
  const ratio = withSweep.drainSeconds / withoutSweep.drainSeconds;
  return {
    n: options.n,
    c: options.c,
    stack: { workers, batchSize, staleAfterSeconds, sweepIntervalSeconds },
    withSweep,
    withoutSweep,
    targets: {
      messagesPerTx: { atMost: 1.1, met: withSweep.messagesPerTx <= 1.1 },
      drain: { atMostRatio: 1.1, ratio, met: ratio <= 1.1 },
    },
  };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Hex } from 'viem';
import { anvilRpc } from '../infra/local/anvilRpc.ts';
import { anvilStatePath, savedBlock } from '../infra/local/anvilState.ts';
import { ownStartMs, type StartupTimes } from '../infra/local/StartupTimes.ts';
import { type BenchTokens, describeUnfinished, postAsync, stackEnv } from './benchHelpers.ts';
import { createSightings } from './createSightings.ts';
import { percentile } from './percentile.ts';
import { type BenchStack, childrenOf, startBenchStack } from './startBenchStack.ts';

/** What one size of the store measured; latencies are medians of three, ms. */
export type GrowthPoint = {
  /** Transactions stored, every one `confirmed` but `unfinished`. */
  stored: number;
  /** Of those sent to fill this size, how many were not confirmed in the phase's time (and where they stood). */
  unfinished: number;
  unfinishedDescribed?: string;
  /** The admin list's first page, with its counts per status (what the admin page reloads every 2.5 s). */
  adminFirstPageMs: number;
  /** `GET /admin/health`: a fresh read of the table, each queue, each chain and the signers. */
  adminHealthMs: number;
  /** One sweep, start to end. */
  sweepMs: number;
  /** Why the wait for the fill ended with some not confirmed (a stall, or its timeout). */
  unfinishedWhy?: string;
  /** The runner from start to serving, on the same data: after a clean stop, and after a SIGKILL. */
  readyAfterStopMs: number;
  readyAfterKillMs: number;
  /** Blocks the chain came back short of after the kill: 0, as the kill waits for the state file to hold the head. */
  blocksLostByKill: number;
  /** How long that wait took, ms, from the measurements at rest: how far the runner's state writes lagged. */
  stateWaitMs: number;
  /** The start after the SIGKILL as the runner timed it: its local chain loading, then its own start-up. */
  startAfterKill: StartupTimes;
  /** The data directory (the table, the chain's state), after the restarts. */
  dataDirBytes: number;
  bytesPerTx: number;
  /** The runner's process and its anvil while nothing is asked of them, cores (5 s). */
  idleCores: { runner: number; anvil: number };
  /** Anvil's resident memory, MB. */
  anvilRssMb: number;
};

export type GrowthResult = {
  sizes: number[];
  points: GrowthPoint[];
  /** The largest size's figure over the smallest's: what grows with the number stored. */
  growth: {
    adminFirstPage: number;
    adminHealth: number;
    sweep: number;
    readyAfterKill: number;
    /** The runner's own start-up after the kill, once its emulators answered (`startAfterKill`). */
    ownStartAfterKill: number;
  };
  targets: {
    /** None of the latencies grows with the number stored (within 1.5x between the smallest and the largest). */
    flatLatencies: { atMostRatio: number; met: boolean };
    /** Nothing is left open: start-up after a kill is flat too. */
    flatReadyAfterKill: { atMostRatio: number; met: boolean };
    /** A few KB per transaction at the largest size. */
    dataDirPerTx: { atMostBytes: number; met: boolean };
  };
};

export type GrowthOptions = { sizes: number[]; c: number; to: Hex; tokens: BenchTokens };

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return line ? Number(line[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const median = (values: number[]) => percentile(values, 50);

async function timed(task: () => Promise<unknown>, times = 3): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await task();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/**
 * The store as it grows: the runner of `npm start` with its own anvil (its state in the data directory,
 * as `npm start` keeps it), filled through the pipeline to each of `sizes` transactions, every one
 * `confirmed`; at each size the admin's first page, a fresh health read, a sweep, the runner's start after
 * a SIGKILL of it and its anvil (the runner that made the fill) and after a clean stop, the data directory
 * and what idles.
 */
export async function runGrowth(options: GrowthOptions): Promise<GrowthResult> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-growth-'));
  // No RPC_URL: the runner starts its own anvil, its state in the data directory, as `npm start` does.
  const env = stackEnv(dataDir, '', options.tokens, {
    MAX_IN_FLIGHT_PER_SIGNER: '100000',
    TRACK_INTERVAL_SECONDS: '1',
  });
  const admin = { authorization: `Bearer ${options.tokens.admin}` };
  const get = async (url: string) => {
    const res = await fetch(url, { headers: admin });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  };
  let stack: BenchStack = await startBenchStack(env);
  const points: GrowthPoint[] = [];
  let stored = 0;
  try {
    for (const size of options.sizes) {
      // Fill to `size`, and wait until every one is confirmed: nothing is left open.
      const final = createSightings('final');
      stack.onSuccess(({ id, at, status }) => {
        if (status === 'final') final.see(id, at);
      });
      const ids = await postAsync(stack, options.tokens.client, options.to, size - stored, options.c);
      // One not confirmed in time is counted and described, and the size is measured all the same.
      const unfinishedWhy = await final
        .all(ids, 120_000 + ids.length * 50, { stallMs: 120_000 })
        .then(() => undefined)
        .catch((error: Error) => error.message);
      const open = ids.filter((id) => !final.at.has(id));
      const unfinished = open.length > 0 ? await describeUnfinished(stack, options.tokens.client, open) : undefined;
      stored = size;
      // Measured at rest: the runner's dynalite compacts its LevelDB once writes stopped for 2 s
      // (infra/local/atomicDynalite.ts), so what is measured is what is stored, not the last burst's debt.
      await sleep(5000);
      const adminFirstPageMs = await timed(() => get(`${stack.url}/transactions`));
      const adminHealthMs = await timed(() => get(`${stack.url}/admin/health`));
      const sweeps: number[] = [];
      for (let i = 0; i < 3; i++) sweeps.push(await stack.sweep());
      // What idles: the runner and its anvil, asked nothing for 5 s.
      const anvilPid = childrenOf(stack.pid)[0] ?? 0;
      const before = { runner: cpuSeconds(stack.pid), anvil: cpuSeconds(anvilPid) };
      await sleep(5000);
      const idleCores = {
        runner: (cpuSeconds(stack.pid) - before.runner) / 5,
        anvil: (cpuSeconds(anvilPid) - before.anvil) / 5,
      };
      const anvilRssMb = rssMb(anvilPid);
      // The kill comes to the runner that made the fill, so its start-up mends what a busy runner leaves
      // (a count journal of every change it made); the clean stop then comes to the runner just started.
      // It comes once the chain's state file holds the head (the runner writes it when the chain moved, less
      // often as it grows): a kill before would lose the last blocks, and the start-up would send their
      // transactions again (replayLostTransactions.ts), which is not what this start-up is to measure.
      const head = Number(await anvilRpc(stack.rpcUrl, 10_000)('eth_blockNumber'));
      const waitedFrom = performance.now();
      for (
        const until = Date.now() + 120_000;
        (savedBlock(anvilStatePath(dataDir)) ?? -1) < head && Date.now() < until;
      )
        await sleep(250);
      const stateWaitMs = performance.now() - waitedFrom;
      await stack.kill();
      let t0 = performance.now();
      stack = await startBenchStack(env);
      const readyAfterKillMs = performance.now() - t0;
      const startAfterKill = stack.startup;
      const blocksLostByKill = head - Number(await anvilRpc(stack.rpcUrl, 10_000)('eth_blockNumber'));
      await stack.stop();
      t0 = performance.now();
      stack = await startBenchStack(env);
      const readyAfterStopMs = performance.now() - t0;
      const dataDirBytes = Number(execFileSync('du', ['-sb', dataDir], { encoding: 'utf8' }).split('\t')[0]);
      points.push({
        stored,
        unfinished: open.length,
        ...(unfinished ? { unfinishedDescribed: unfinished } : {}),
        ...(unfinishedWhy ? { unfinishedWhy } : {}),
        adminFirstPageMs,
        adminHealthMs,
        sweepMs: median(sweeps),
        readyAfterStopMs,
        readyAfterKillMs,
        blocksLostByKill,
        stateWaitMs,
        startAfterKill,
        dataDirBytes,
        bytesPerTx: dataDirBytes / stored,
        idleCores,
        anvilRssMb,
      });
    }
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const first = points[0];
  const last = points.at(-1);
  const ratio = (pick: (p: GrowthPoint) => number) => (first && last ? pick(last) / pick(first) : 1);
  const growth = {
    adminFirstPage: ratio((p) => p.adminFirstPageMs),
    adminHealth: ratio((p) => p.adminHealthMs),
    sweep: ratio((p) => p.sweepMs),
    readyAfterKill: ratio((p) => p.readyAfterKillMs),
    ownStartAfterKill: ratio((p) => ownStartMs(p.startAfterKill)),
  };
  const atMostBytes = 8 * 1024;
  return {
    sizes: options.sizes,
    points,
    growth,
    targets: {
      flatLatencies: {
        atMostRatio: 1.5,
        met: Math.max(growth.adminFirstPage, growth.adminHealth, growth.sweep) <= 1.5,
      },
      flatReadyAfterKill: { atMostRatio: 1.5, met: growth.readyAfterKill <= 1.5 },
      dataDirPerTx: { atMostBytes, met: (last?.bytesPerTx ?? 0) <= atMostBytes },
    },
  };
}

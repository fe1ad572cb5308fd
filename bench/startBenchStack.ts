import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StartupTimes } from '../infra/local/StartupTimes.ts';
import type { Counts, Success } from './createCounters.ts';
import type { FromStack, ToStack } from './stackMessages.ts';

/** The local stack running in a child process, with its counters. */
export type BenchStack = {
  url: string;
  rpcUrl: string;
  signer: string;
  chainId: number;
  /** How the stack's start went (the local runner's `startup`). */
  startup: StartupTimes;
  /** Zeroes the counters and the log byte count. */
  reset(): void;
  /** The counters since the last reset, and the bytes the stack logged since then. */
  snapshot(): Promise<{ counts: Counts; logBytes: number }>;
  /** Called for each transaction the updater moves to `success`. */
  onSuccess(listener: (s: Success) => void): void;
  /** The stack process's monotonic clock now, µs: where its CPU profiles' samples are, in time. */
  mark(): Promise<number>;
  /** Runs one sweep now (after any running); resolves with how long it took, ms. */
  sweep(): Promise<number>;
  /** The stack's process id (its anvil, when it runs its own, is a child of it). */
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL: the stack's process and every process it started (its anvil), as a machine's crash would. */
  kill(): Promise<void>;
};

/** The ids of a process's children (Linux: from /proc). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts `bench/stackProcess.ts` (the local stack of `npm start` with counters installed) in a child
 * process with `env`, and waits until it serves. Its log lines are counted (bytes) and dropped. With
 * `cpuProfDir`, V8 writes a CPU profile of each of the process's threads there when it exits.
 */
export async function startBenchStack(env: Record<string, string>, cpuProfDir?: string): Promise<BenchStack> {
  const child = fork(fileURLToPath(new URL('./stackProcess.ts', import.meta.url)), [], {
    env: { ...process.env, ...env },
    execArgv: [
      '--disable-warning=ExperimentalWarning',
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
    ],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let logBytes = 0;
  let tail = '';
  const count = (chunk: Buffer) => {
    logBytes += chunk.length;
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', count);
  child.stderr?.on('data', count);
  const listeners: Array<(s: Success) => void> = [];
  const waiting: Array<{ resolve: (m: FromStack) => void; reject: (e: Error) => void }> = [];
  let exited: Error | undefined;
  child.on('message', (message: FromStack) => {
    if (message.type === 'successes') {
      for (const s of message.items) for (const l of listeners) l(s);
      return;
    }
    waiting.shift()?.resolve(message);
  });
  // One listener for the process's life: its exit fails whatever is still waiting for a message.
  child.once('exit', (code) => {
    exited = new Error(`the stack's process exited with ${code}:\n${tail}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = () =>
    new Promise<FromStack>((resolve, reject) => {
      if (exited) reject(exited);
      else waiting.push({ resolve, reject });
    });
  const post = (message: ToStack) => child.send(message);
  /** Sends `message` and resolves with the process's answer, which must be of type `expected`. */
  async function ask<T extends FromStack['type']>(
    message: ToStack,
    expected: T,
  ): Promise<Extract<FromStack, { type: T }>> {
    const answer = next();
    post(message);
    const got = await answer;
    if (got.type !== expected) throw new Error(`expected ${expected}, got ${got.type}`);
    return got as Extract<FromStack, { type: T }>;
  }

  const ready = await next();
  if (ready.type !== 'ready') {
    child.kill();
    throw new Error(`the stack did not start: ${ready.type === 'failed' ? ready.message : ready.type}\n${tail}`);
  }
  return {
    url: ready.url,
    rpcUrl: ready.rpcUrl,
    signer: ready.signer,
    chainId: ready.chainId,
    startup: ready.startup,
    reset() {
      post({ type: 'reset' });
      logBytes = 0;
    },
    async snapshot() {
      const { counts } = await ask({ type: 'snapshot' }, 'snapshot');
      return { counts, logBytes };
    },
    onSuccess(listener) {
      listeners.push(listener);
    },
    async mark() {
      return (await ask({ type: 'mark' }, 'marked')).us;
    },
    async sweep() {
      return (await ask({ type: 'sweep' }, 'swept')).ms;
    },
    pid: child.pid ?? 0,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      for (const pid of childrenOf(child.pid ?? 0)) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      post({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await next().catch(() => undefined);
      // Clients keep sockets alive; once the stack has stopped, nothing is left to lose.
      const grace = setTimeout(() => child.kill('SIGTERM'), 2000);
      await exited;
      clearTimeout(timer);
      clearTimeout(grace);
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { type PoolRepair, watchAnvilPool } from './anvilPool.ts';
import { anvilRpc } from './anvilRpc.ts';
import { saveAnvilState } from './anvilState.ts';

const require = createRequire(import.meta.url);

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export type Emulator = { url: string; stop(): Promise<void> };

/**
 * Starts an emulator on a worker thread of its own and resolves with its URL: the emulators do most of
 * the local stack's work, and on their own threads they use the cores the handlers leave idle. The
 * thread is part of this process, so a crash of the process takes it down too, as before.
 */
async function startEmulatorThread(kind: 'dynalite' | 'sqs', path?: string, journal?: string): Promise<Emulator> {
  const worker = new Worker(new URL('./emulatorThread.ts', import.meta.url), {
    workerData: { kind, ...(path ? { path } : {}), ...(journal ? { journal } : {}) },
  });
  const first = await new Promise<{ url?: string; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the ${kind} thread exited with ${code}`)));
  });
  if (!first.url) {
    await worker.terminate();
    throw new Error(`${kind} did not start: ${first.error ?? 'no answer'}`);
  }
  let stopped: Promise<void> | undefined;
  return {
    url: first.url,
    stop() {
      // Rejects when the emulator did not close cleanly: the runner then writes no clean-stop mark.
      stopped ??= new Promise<void>((resolve, reject) => {
        let clean = false;
        worker.on('message', (message: { stopped?: boolean; clean?: boolean }) => {
          if (message?.stopped) clean = message.clean === true;
        });
        worker.once('exit', () => (clean ? resolve() : reject(new Error(`the ${kind} thread did not close cleanly`))));
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}

/**
 * DynamoDB's wire protocol from dynalite, on its own thread; on disk under `path` when given, else in
 * memory. Each item is written with its index entries as one LevelDB batch (`atomicDynalite.ts`); with
 * `journal`, a folder, the count journal kept there (the days whose counts a kill left short: `atomicDynalite.ts`).
 */
export async function startDynalite(path?: string, options: { journal?: string } = {}): Promise<Emulator> {
  return startEmulatorThread('dynalite', path, options.journal);
}

/** SQS's wire protocol from fauxqs, on its own thread (in memory: queues are lost with the process, by design of the emulator). */
export async function startSqs(): Promise<Emulator> {
  return startEmulatorThread('sqs');
}

/** The anvil binary of this platform, from the `@foundry-rs/anvil-<os>-<arch>` package. */
function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

export type Anvil = Emulator & {
  process: ChildProcess;
  port: number;
  /** What the pool watch mended (see `anvilPool.ts`); empty when it was not asked for or found nothing. */
  poolRepairs: PoolRepair[];
};

/**
 * Starts anvil with automine; `statePath` keeps the chain across restarts. Its pool is watched for
 * transactions anvil files as queued at the next nonce and never mines (`anvilPool.ts`), unless
 * `repairPool` is false; `onPoolRepair` hears of each mend.
 */
export async function startAnvil(options: {
  chainId: number;
  statePath?: string;
  port?: number;
  blockTime?: number;
  repairPool?: boolean;
  onPoolRepair?: (repair: PoolRepair) => void;
  /** Each write of the state file that failed (`statePath`): the chain then stands at the last one written. */
  onStateError?: (error: unknown) => void;
}): Promise<Anvil> {
  const port = options.port ?? (await freePort());
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(options.chainId), '--silent'];
  // By default anvil writes the states it evicts from memory to ~/.foundry/anvil/tmp and leaves them there at
  // any exit, clean or not: 7.5 GB for 15,000 transfers, a disk filled in a day of tests, and mining 1.6x
  // slower for the writes. It keeps the last 64 states in memory instead, and none on disk: a reorg or a read
  // up to 64 blocks back, as deep as anvil's `finalized`. (With no disk and no number it keeps all of the last
  // 500 in memory: 2.4 GB at 15,000 transfers, against 0.6 GB.)
  args.push('--prune-history', '64');
  if (options.statePath) {
    mkdirSync(dirname(options.statePath), { recursive: true });
    // Loaded at start; written by the runner while it runs, when the chain moved, and at stop (`anvilState.ts`).
    if (existsSync(options.statePath)) args.push('--load-state', options.statePath);
  }
  if (options.blockTime) args.push('--block-time', String(options.blockTime));
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr}`);
    try {
      await anvilRpc(url, 2000)('eth_chainId');
      break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`anvil did not start: ${stderr}`);
    await sleep(100);
  }
  const watch =
    options.repairPool === false
      ? undefined
      : watchAnvilPool(url, options.onPoolRepair ? { onRepair: options.onPoolRepair } : {});
  const saver = options.statePath
    ? saveAnvilState(url, options.statePath, options.onStateError ? { onError: options.onStateError } : {})
    : undefined;
  // A chain killed from outside stops its watch too, so that one started again on the port has only its own.
  child.once('exit', () => {
    void watch?.stop();
    void saver?.stop();
  });
  return {
    url,
    port,
    process: child,
    poolRepairs: watch?.repairs ?? [],
    stop: async () => {
      const running = () => child.exitCode === null && child.signalCode === null;
      // A paused chain answers nothing: let it go on first, so that the pool watch's look under way and
      // the last read of its state are answered.
      if (running()) child.kill('SIGCONT');
      await watch?.stop();
      if (!running()) return;
      await saver?.stop({ final: true });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { mendDynalite } from './atomicDynalite.ts';

// One emulator on a thread of its own (see `startEmulatorThread` in emulators.ts): the emulators are
// most of the local stack's work, and on their own threads they run beside the handlers, not in turn.

/** `stop` resolves false when the emulator did not close cleanly (its table may hold unfinished writes). */
type Started = { url: string; stop(): Promise<boolean> };

async function start(kind: 'dynalite' | 'sqs', path: string | undefined, journalDir?: string): Promise<Started> {
  if (kind === 'sqs') {
    const server = await startFauxqs({ port: 0, host: 'localhost', logger: false });
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop().then(() => true) };
  }
  if (path) mkdirSync(path, { recursive: true });
  const journal = mendDynalite(journalDir);
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('dynalite did not listen');
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<boolean>((resolve) =>
        server.close((error?: Error) => {
          // Closed cleanly, every write made: this run's journal keeps only the days a count was lost
          // on (a count write that failed), for the next start to recount. Not rewritten (the disk
          // full), it names the same days and more.
          try {
            if (!error) journal?.stop();
          } catch {}
          resolve(!error);
        }),
      ),
  };
}

const { kind, path, journal } = workerData as { kind: 'dynalite' | 'sqs'; path?: string; journal?: string };
try {
  const emulator = await start(kind, path, journal);
  parentPort?.on('message', async (message: unknown) => {
    if (message !== 'stop') return;
    const clean = await emulator.stop();
    parentPort?.postMessage({ stopped: true, clean });
    parentPort?.close();
  });
  parentPort?.postMessage({ url: emulator.url });
} catch (error) {
  parentPort?.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import dynalite from 'dynalite';
import { mendDynalite } from '../../infra/local/atomicDynalite.ts';

// dynalite on disk in a process of its own, so a test can SIGKILL it mid-write: `node dynaliteChild.ts
// <path> <atomic: 1|0> [journal dir]`. With 1 it is the runner's (emulatorThread.ts): each write one
// LevelDB batch, status changes journaled; with 0, dynalite as published. Prints its URL.
const [path = '', atomic = '1', journalDir] = process.argv.slice(2);
mkdirSync(path, { recursive: true });
if (atomic === '1') mendDynalite(journalDir);
const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path });
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address !== 'string') process.stdout.write(`http://127.0.0.1:${address.port}\n`);
});

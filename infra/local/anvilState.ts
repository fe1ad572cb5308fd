import { closeSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { anvilRpc } from './anvilRpc.ts';

/** Where the runner keeps its anvil's chain in its data directory. */
export const anvilStatePath = (dataDir: string): string => join(dataDir, 'anvil-state.json');

/**
 * The block the state file at `path` holds the chain up to (anvil's dump names its head first, as
 * `{"block":{"number":"0x..."`), read from the file's first bytes; undefined when there is none yet.
 */
export function savedBlock(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(512);
    const read = readSync(fd, head, 0, head.length, 0);
    const found = /^\{"block":\{[^}]*?"number":"(0x[0-9a-f]+)"/.exec(head.subarray(0, read).toString('utf8'));
    return found?.[1] ? Number(found[1]) : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps an anvil's chain in `path` while it runs, written only when the chain moved. Anvil's own
 * `--state-interval` rewrites the whole state every period, idle or not, and an RPC call that meets the
 * rewrite waits for it: at 10,000 blocks answers took up to 144 ms against 34 ms without (measured on
 * 2026-12-03), so the runner's sweep and health read grew with the chain. Here, every `intervalMs`, the
 * block number is read; when it moved since the last write, the state (`anvil_dumpState`, gzipped JSON)
 * is written to a temporary file and renamed over `path`, so a kill never leaves half a file. Anvil is
 * started with `--load-state path` only, and `stop` writes the state a last time, moved or not (what
 * changes the state without a block, `anvil_set*`, included), before the chain is stopped: anvil's own
 * write on exit (`--state`) went straight to `path` and, at 10,000 blocks, took longer than the 5 s a
 * stopping chain is given, so a kill after it found the state of the last dump that had answered in time.
 * A dump is given a minute, and the next comes no sooner than four times the last one took, so that a
 * large chain under load is written less often rather than never; `onError` hears each that failed.
 */
export function saveAnvilState(
  url: string,
  path: string,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { stop(options?: { final?: boolean }): Promise<void> } {
  const intervalMs = options.intervalMs ?? 2000;
  const call = anvilRpc(url, 60_000);
  const rpc = async (method: string) => {
    const result = await call(method);
    if (typeof result !== 'string') throw new Error(`${method}: no result`);
    return result;
  };
  let saved: string | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let notBefore = 0;
  const write = async () => {
    const t0 = Date.now();
    const state = gunzipSync(Buffer.from((await rpc('anvil_dumpState')).slice(2), 'hex'));
    writeFileSync(`${path}.tmp`, state);
    renameSync(`${path}.tmp`, path);
    notBefore = Date.now() + 4 * (Date.now() - t0);
  };
  const save = async () => {
    if (Date.now() < notBefore) return;
    const block = await rpc('eth_blockNumber');
    // The first look only learns where the chain stands (it was just loaded from `path`, or is new).
    if (saved === undefined || block === saved) {
      saved ??= block;
      return;
    }
    await write();
    saved = block;
  };
  const tick = () => {
    if (running || stopped) return;
    running = save()
      .catch((error: unknown) => options.onError?.(error)) // a paused or stopped chain: the next tick tries again
      .finally(() => {
        running = undefined;
      });
  };
  tick(); // at once: where the chain stands as loaded, so that every block after it is written
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop(stopOptions = {}) {
      stopped = true;
      clearInterval(timer);
      await running;
      if (stopOptions.final) await write().catch((error: unknown) => options.onError?.(error));
    },
  };
}

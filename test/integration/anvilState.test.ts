import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { savedBlock } from '../../infra/local/anvilState.ts';
import { type Anvil, startAnvil } from '../../infra/local/emulators.ts';

// The runner's chain kept in the data directory (infra/local/anvilState.ts): written when it moved, not
// rewritten while idle, and there after a SIGKILL.

const chainId = 31337;
const dirs: string[] = [];
const chains: Anvil[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Calls anvil; throws its error. */
async function rpc(anvil: Anvil, method: string, params: unknown[] = []): Promise<string> {
  const res = await fetch(anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result: string; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message ?? 'error'}`);
  return body.result;
}

async function chainAt(statePath: string, port?: number) {
  const anvil = await startAnvil({ chainId, statePath, ...(port ? { port } : {}) });
  chains.push(anvil);
  return anvil;
}

describe("the local chain's state file", () => {
  it('is written once the chain moved, left alone while it idles, and holds the chain after a SIGKILL', async () => {
    // prepare
    const dir = mkdtempSync(join(os.tmpdir(), 'anvil-state-'));
    dirs.push(dir);
    const statePath = join(dir, 'chain.json');
    const anvil = await chainAt(statePath);
    await sleep(2500);
    const beforeAnyBlock = existsSync(statePath);
    // act: three blocks, then idle
    await rpc(anvil, 'anvil_mine', ['0x3']);
    await sleep(2500);
    const written = statSync(statePath).mtimeMs;
    await sleep(4500);
    const idle = statSync(statePath).mtimeMs;
    anvil.process.kill('SIGKILL');
    await new Promise((resolve) => anvil.process.once('exit', resolve));
    const again = await chainAt(statePath, anvil.port);
    // assess
    expect(beforeAnyBlock).toBe(false);
    expect(savedBlock(join(dir, 'none.json'))).toBeUndefined();
    expect(savedBlock(statePath)).toBe(3);
    expect(idle).toBe(written);
    expect(Number(await rpc(again, 'eth_blockNumber'))).toBe(3);
  });

  it('is written at a clean stop, what changed without a block too, and a kill after the next start keeps it', async () => {
    // prepare: a chain with blocks and a balance set without one (no block for the watch to see)
    const dir = mkdtempSync(join(os.tmpdir(), 'anvil-state-'));
    dirs.push(dir);
    const statePath = join(dir, 'chain.json');
    const first = await chainAt(statePath);
    await rpc(first, 'anvil_mine', ['0x5']);
    const who = '0x00000000000000000000000000000000000000aa';
    await rpc(first, 'anvil_setBalance', [who, '0x1234']);
    // act: a clean stop, a start, a kill, a start
    await first.stop();
    const second = await chainAt(statePath, first.port);
    second.process.kill('SIGKILL');
    await new Promise((resolve) => second.process.once('exit', resolve));
    const third = await chainAt(statePath, first.port);
    // assess
    expect(Number(await rpc(third, 'eth_blockNumber'))).toBe(5);
    expect(await rpc(third, 'eth_getBalance', [who, 'latest'])).toBe('0x1234');
  });
});

describe("the local chain's disk", () => {
  it('holds no evicted states of a long chain once stopped, and keeps the last 64 a reorg needs', async () => {
    // prepare: anvil keeps its evicted states under $HOME/.foundry/anvil/tmp; this chain's home is its own
    const home = mkdtempSync(join(os.tmpdir(), 'anvil-home-'));
    dirs.push(home);
    const before = process.env.HOME;
    process.env.HOME = home;
    let anvil: Anvil;
    try {
      anvil = await startAnvil({ chainId });
    } finally {
      process.env.HOME = before;
    }
    chains.push(anvil);
    const who = '0x00000000000000000000000000000000000000aa';
    await rpc(anvil, 'anvil_setBalance', [who, '0x1234']);
    // act: a thousand blocks, past what anvil holds in memory, then a clean stop
    await rpc(anvil, 'anvil_mine', ['0x3e8']);
    const head = Number(await rpc(anvil, 'eth_blockNumber'));
    const deepAgo = await rpc(anvil, 'eth_getBalance', [who, `0x${(head - 64).toString(16)}`]);
    await rpc(anvil, 'anvil_reorg', [64, []]); // throws if anvil can no longer reorg 64 deep
    await anvil.stop();
    // assess
    // (a reorg makes an empty folder there: the states are what would fill a disk)
    const evicted = join(home, '.foundry', 'anvil', 'tmp');
    const folders = existsSync(evicted) ? readdirSync(evicted) : [];
    expect(folders.flatMap((folder) => readdirSync(join(evicted, folder)))).toEqual([]);
    expect(deepAgo).toBe('0x1234');
  });
});

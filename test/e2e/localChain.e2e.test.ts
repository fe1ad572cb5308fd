import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, type Hex, http } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import { anvilStatePath, savedBlock } from '../../infra/local/anvilState.ts';
import { audit, expectConsistent, expectOneEffectEach } from '../support/audit.ts';
import { eventually, type Runner, request, startRunner, tempDataDir } from '../support/runner.ts';

// `npm start`'s own chain is kept in the data directory, written when it moved (infra/local/anvilState.ts):
// a kill before the last write brings the chain back short of the table, without transactions the table
// holds as confirmed. The runner sends their stored bytes again at start-up
// (infra/local/replayLostTransactions.ts): each is on chain again, once, and the signer's next nonce is not
// stuck behind them.

const runners: Runner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});

async function start(dataDir: string) {
  const runner = await startRunner({ DATA_DIR: dataDir, BROADCAST_WAIT_MS: '0' });
  runners.push(runner);
  return runner;
}

/** Posts a transfer and waits until it is confirmed; its record. */
async function confirmedTransfer(runner: Runner, value: number) {
  const posted = await request(runner, 'POST', '/transactions', { to: `0x${'ab'.repeat(20)}`, value: String(value) });
  expect([200, 202]).toContain(posted.status);
  return eventually(
    async () => {
      const got = await request(runner, 'GET', `/transactions/${posted.body.id}`);
      return got.body.status === 'confirmed' ? got.body : undefined;
    },
    60_000,
    () => `transfer ${value} to be confirmed\n${runner.output().slice(-3000)}`,
  );
}

describe("the runner's own chain after a kill", () => {
  it('comes back whole: what the state file lacked is sent again, once, and the next transfer is not stuck', async () => {
    // prepare: one transfer confirmed and written at a clean stop; a copy of that state kept
    const dataDir = tempDataDir();
    const statePath = anvilStatePath(dataDir);
    const first = await start(dataDir);
    const a = await confirmedTransfer(first, 1);
    await first.stop();
    runners.splice(0);
    copyFileSync(statePath, join(dataDir, 'older-state.json'));
    // two more confirmed, then a kill, and the state file as if its last writes had not come in time
    const second = await start(dataDir);
    const b = await confirmedTransfer(second, 2);
    const c = await confirmedTransfer(second, 3);
    await second.kill();
    runners.splice(0);
    copyFileSync(join(dataDir, 'older-state.json'), statePath);
    const lostFrom = savedBlock(statePath) ?? 0;
    // act
    const third = await start(dataDir);
    const d = await confirmedTransfer(third, 4);
    // assess: b and c are on chain with the bytes the table holds, after the block the state file stopped at
    const chain = createPublicClient({ transport: http(third.rpcUrl) });
    for (const tx of [b, c]) {
      const receipt = await chain.getTransactionReceipt({ hash: tx.txHash as Hex });
      expect(receipt.status).toBe('success');
      expect(Number(receipt.blockNumber)).toBeGreaterThan(lostFrom);
      expect((await chain.getTransaction({ hash: tx.txHash as Hex })).nonce).toBe(tx.nonce);
    }
    expect((await chain.getTransactionReceipt({ hash: a.txHash as Hex })).status).toBe('success');
    expect(d.nonce).toBe(c.nonce + 1);
    expect(await chain.getTransactionCount({ address: d.from as Hex })).toBe(d.nonce + 1);
    expect(third.output()).toContain('the local chain came back short of the table; what it had mined was sent again');
    // and the lifecycle's invariants hold over the whole table and chain: each record one effect, no nonce twice
    const settled = await audit(third, third.rpcUrl);
    expect(settled.txs).toHaveLength(4);
    expectOneEffectEach(settled);
    expectConsistent(settled);
  });
});

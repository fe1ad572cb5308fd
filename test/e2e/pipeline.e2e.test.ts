import { createPublicClient, type Hex, http, keccak256 } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, inFlight, type Runner, request, startRunner, tempDataDir } from '../support/runner.ts';

let runner: Runner;

beforeAll(async () => {
  runner = await startRunner({ DATA_DIR: tempDataDir(), WORKERS: '8', BROADCAST_WAIT_MS: '0' });
});

afterAll(async () => {
  await runner?.stop();
});

describe('the local runner, end to end', () => {
  it('takes 50 transactions with 16 in flight past success to confirmed, each on chain with its stored bytes, its receipt and its own nonce', async () => {
    const recipients = Array.from({ length: 50 }, (_, i) => `0xaa${(i + 1).toString(16).padStart(38, '0')}`);
    const posted = await inFlight(16, 50, (i) =>
      request(runner, 'POST', '/transactions', { to: recipients[i], value: String(1000 + i) }),
    );
    expect(posted.map((p) => p.status).every((s) => s === 200 || s === 202)).toBe(true);
    const ids = posted.map((p) => p.body.id as string);
    expect(new Set(ids).size).toBe(50);

    let left: string[] = [];
    const done = await eventually(
      async () => {
        const all = await Promise.all(ids.map((id) => request(runner, 'GET', `/transactions/${id}`)));
        // success is the node's acceptance; the tracker follows each on to confirmed, its end here (CONFIRMATIONS=1).
        left = all.filter((r) => r.body.status !== 'confirmed').map((r) => `${r.body.id} ${r.body.status}`);
        return left.length === 0 ? all.map((r) => r.body) : undefined;
      },
      // A tracking message lost under load is restarted by the sweep: STALE_AFTER (60 s) and a sweep (30 s) later.
      120_000,
      () => `all 50 to reach confirmed; still open: ${left.join(', ')}\n${runner.output().slice(-4000)}`,
    );

    const chain = createPublicClient({ transport: http(runner.rpcUrl) });
    for (const [i, tx] of done.entries()) {
      expect(tx.to.toLowerCase()).toBe(recipients[i]);
      expect(keccak256(tx.rawTx)).toBe(tx.txHash);
      // confirmed: the receipt the record holds is the chain's own.
      const receipt = await chain.getTransactionReceipt({ hash: tx.txHash as Hex });
      expect(receipt.status).toBe('success');
      expect(tx.receipt).toMatchObject({
        status: 'success',
        txHash: tx.txHash,
        blockNumber: Number(receipt.blockNumber),
        blockHash: receipt.blockHash,
        gasUsed: String(receipt.gasUsed),
        effectiveGasPrice: String(receipt.effectiveGasPrice),
      });
      expect(tx.hashes.map((h: { txHash: string }) => h.txHash)).toEqual([tx.txHash]);
      expect(tx.history.at(-1)).toMatchObject({ outcome: 'confirmed', blockNumber: Number(receipt.blockNumber) });
      const raw = await chain.request({
        method: 'eth_getRawTransactionByHash' as 'eth_getTransactionByHash',
        params: [tx.txHash],
      });
      expect(raw).toBe(tx.rawTx);
      const onChain = await chain.getTransaction({ hash: tx.txHash as Hex });
      expect(onChain.value).toBe(BigInt(1000 + i));
      expect(onChain.nonce).toBe(tx.nonce);
    }
    const nonces = done.map((t) => t.nonce as number).sort((a, b) => a - b);
    expect(nonces).toEqual(Array.from({ length: 50 }, (_, i) => (nonces[0] ?? -1) + i));
  });

  it('the ready banner tells a newcomer how to send a first transaction', () => {
    expect(runner.output()).toContain(`API        ${runner.url}`);
    expect(runner.output()).toMatch(/signer\s+0x[0-9a-fA-F]{40}/);
    expect(runner.output()).toContain(`curl -s -X POST ${runner.url}/transactions`);
  });

  it('the ready line says how its start went: the local chain answered within the emulators, then its own part', () => {
    const line = runner
      .output()
      .split('\n')
      .find((l) => l.startsWith('{"message":"ready"'));
    const { startup } = JSON.parse(line ?? '{}') as {
      startup?: { chainMs: number; emulatorsMs: number; totalMs: number };
    };
    expect(startup?.chainMs).toBeGreaterThan(0);
    expect(startup?.emulatorsMs).toBeGreaterThanOrEqual(startup?.chainMs ?? Number.POSITIVE_INFINITY);
    expect(startup?.totalMs).toBeGreaterThan(startup?.emulatorsMs ?? Number.POSITIVE_INFINITY);
  });

  it('Ctrl-C stops everything it started', async () => {
    const code = await runner.stop();
    expect(code).toBe(0);
    await expect(fetch(runner.rpcUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
    await expect(fetch(`${runner.url}/health`)).rejects.toThrow();
  });
});

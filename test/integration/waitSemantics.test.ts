import { rmSync } from 'node:fs';
import { createPublicClient, type Hex, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Anvil, startAnvil } from '../../infra/local/emulators.ts';
import { type LocalStack, startLocalStack } from '../../infra/local/startLocalStack.ts';
import { eventually, request, tempDataDir } from '../support/runner.ts';
import { tokenEnv } from '../support/tokens.ts';

/**
 * The wait of `POST /transactions` against the whole system over HTTP (the local runner in this
 * process, its own dynalite and fauxqs, and an anvil we can pause with SIGSTOP).
 */

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

let anvil: Anvil;
let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  anvil = await startAnvil({ chainId: 31337 });
  dataDir = tempDataDir();
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS'])
    delete process.env[name];
  Object.assign(process.env, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    RPC_URL: anvil.url,
    RPC_TIMEOUT_MS: '500',
    BROADCAST_WAIT_MS: '5000',
    MAX_ATTEMPTS: '20',
    RETRY_BASE_SECONDS: '0',
    RETRY_CAP_SECONDS: '1',
    WORKERS: '2',
    SIGNING_LEASE_SECONDS: '2',
    VISIBILITY_TIMEOUT_SECONDS: '3',
    LOG_LEVEL: 'SILENT',
    // These tests send what the signer cannot pay for the node to refuse: the balance guard would refuse it first.
    BALANCE_GUARD: 'off',
    ...tokenEnv,
  });
  stack = await startLocalStack(process.env);
});

afterAll(async () => {
  await stack?.stop();
  await anvil?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('POST /transactions waits a bounded time for the outcome', () => {
  it('200 with the hash when the broadcast succeeds within the wait', async () => {
    const res = await request(stack, 'POST', '/transactions', { to, value: '1' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('success');
    expect(res.headers.get('location')).toBe(`/transactions/${res.body.id}`);
    const receipt = await createPublicClient({ transport: http(anvil.url) }).getTransactionReceipt({
      hash: res.body.txHash as Hex,
    });
    expect(receipt.status).toBe('success');
  });

  it('a paused chain gives 202 with Location after the wait; once it resumes, GET shows the outcome', async () => {
    anvil.process.kill('SIGSTOP');
    let resumed = false;
    try {
      const started = Date.now();
      const res = await request(stack, 'POST', '/transactions', { to, value: '2' }, { prefer: 'wait=2' });
      const waited = Date.now() - started;
      expect(res.status).toBe(202);
      expect(['pending', 'retrying']).toContain(res.body.status);
      expect(res.headers.get('preference-applied')).toBe('wait=2');
      expect(waited).toBeGreaterThanOrEqual(1500);
      expect(waited).toBeLessThan(4000);
      const location = res.headers.get('location') ?? '';
      expect(location).toBe(`/transactions/${res.body.id}`);

      anvil.process.kill('SIGCONT');
      resumed = true;
      const current = await eventually(
        async () => {
          const read = await request(stack, 'GET', location);
          expect(read.status).toBe(200);
          return read.body.status === 'success' || read.body.status === 'failed' ? read.body : undefined;
        },
        30_000,
        'the outcome after the chain resumed',
      );
      expect(current.status).toBe('success');
      expect(current.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    } finally {
      if (!resumed) anvil.process.kill('SIGCONT');
    }
  });

  it('Prefer: respond-async answers 202 at once, even on a live chain', async () => {
    const started = Date.now();
    const res = await request(stack, 'POST', '/transactions', { to, value: '3' }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("422 with the node's reason when the chain rejects it for good within the wait", async () => {
    // More than the signer holds: the node refuses it for good (a gas limit too low is a 400 before any write).
    const res = await request(stack, 'POST', '/transactions', { to, value: (10n ** 30n).toString(), gas: '21000' });
    expect(res.status).toBe(422);
    expect(res.body.status).toBe('failed');
    expect(res.body.message).toMatch(/insufficient funds/i);
  });
});

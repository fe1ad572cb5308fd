import { setTimeout as sleep } from 'node:timers/promises';
import { createPublicClient, type Hex, http } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnvil } from '../../infra/local/emulators.ts';
import { audit, expectConsistent } from '../support/audit.ts';
import { eventually, inFlight, type Runner, request, startRunner, tempDataDir } from '../support/runner.ts';
import { testTokens } from '../support/tokens.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

const recipient = (i: number) => `0xbb${i.toString(16).padStart(38, '0')}`;

/** Where a transaction ends: confirmed or reverted at the chain's depth, or failed. success and mined are on the way. */
const final = new Set(['confirmed', 'reverted', 'failed']);

/**
 * What holds a signer up, for a failure message: the chain's mined nonce, and our records (transactions
 * and fillers) of the lowest nonces not mined.
 */
async function holdUp(runner: Runner, rpcUrl: string): Promise<string> {
  const chain = createPublicClient({ transport: http(rpcUrl) });
  const mined = await chain.getTransactionCount({ address: runner.signer as Hex, blockTag: 'latest' });
  const pending = await chain.getTransactionCount({ address: runner.signer as Hex, blockTag: 'pending' });
  // What the node holds but has not mined: `pending` ready to be, `queued` waiting for an earlier nonce.
  const pool = await chain.request({ method: 'txpool_inspect' } as never).catch((e: unknown) => String(e));
  const a = await audit(runner, rpcUrl);
  const near = (nonce: number | null) => nonce !== null && nonce >= mined && nonce < mined + 2;
  const txs = a.txs
    .filter((t) => near(t.nonce))
    .map(({ id, status, attempts, nonce, txHash, rawTx, filledBy }) => ({
      id,
      status,
      attempts,
      nonce,
      txHash,
      signed: rawTx !== null,
      filledBy,
    }));
  // What the runner said of them: the lines that name one of them.
  const lines = runner
    .output()
    .split('\n')
    .filter((l) => txs.some((t) => l.includes(t.id) || (t.txHash && l.includes(t.txHash))))
    .slice(-30);
  return `chain mined ${mined}, pending ${pending}; pool ${JSON.stringify(pool).slice(0, 1500)}; records of nonces ${mined} and ${mined + 1}: ${JSON.stringify(
    {
      txs,
      fillers: a.fillers.filter((f) => near(f.nonce)),
    },
  )}\nthe runner's lines about them:\n${lines.join('\n')}`;
}

async function terminal(runner: Runner, ids: string[], timeoutMs: number, rpcUrl?: string) {
  let last: Array<{ status: string }> = [];
  try {
    return await eventually(
      async () => {
        const all = await Promise.all(ids.map((id) => request(runner, 'GET', `/transactions/${id}`)));
        last = all.map((r) => r.body);
        return all.every((r) => final.has(r.body.status)) ? all.map((r) => r.body) : undefined;
      },
      timeoutMs,
      `${ids.length} transactions to reach a terminal status`,
    );
  } catch (error) {
    const open = last.filter((t) => !final.has(t.status));
    const held = rpcUrl ? await holdUp(runner, rpcUrl).catch((e: unknown) => `(not read: ${String(e)})`) : '';
    throw new Error(
      `${String(error)}; ${open.length} open, e.g. ${JSON.stringify(open.slice(0, 3))}\n${held}\n${runner.output().slice(-4000)}`,
    );
  }
}

async function warmUp(runner: Runner) {
  const first = await request(runner, 'POST', '/transactions', { to: recipient(0), value: '1' }, { prefer: 'wait=10' });
  // 200: the node took it (success, or already further on).
  expect(first.status).toBe(200);
  return first.body.id as string;
}

async function withChainAndRunner(env: Record<string, string>, dataDir = tempDataDir()) {
  const anvil = await startAnvil({ chainId: 31337, statePath: `${dataDir}/chain.json` });
  cleanup.push(() => anvil.stop());
  const runner = await startRunner({ DATA_DIR: dataDir, RPC_URL: anvil.url, BROADCAST_WAIT_MS: '0', ...env });
  cleanup.push(() => runner.stop());
  return { anvil, runner, dataDir };
}

describe('a chain outage shorter than the retry budget', () => {
  it('pausing anvil while 100 transactions are in flight: all end confirmed, once each, some after retries', async () => {
    const { anvil, runner } = await withChainAndRunner({
      RPC_TIMEOUT_MS: '2000',
      RETRY_BASE_SECONDS: '1',
      RETRY_CAP_SECONDS: '4',
      STALE_AFTER_SECONDS: '60',
    });
    const warm = await warmUp(runner);
    const posting = inFlight(16, 100, (i) =>
      request(
        runner,
        'POST',
        '/transactions',
        { to: recipient(i + 1), value: String(1000 + i) },
        { prefer: 'respond-async' },
      ),
    );
    await sleep(150);
    anvil.process.kill('SIGSTOP');
    await sleep(3000);
    anvil.process.kill('SIGCONT');
    const posted = await posting;
    expect(posted.every((p) => p.status === 202)).toBe(true);
    const ids = posted.map((p) => p.body.id as string);
    // Under a loaded CI machine a message may still need the sweep: STALE_AFTER (60 s) and a sweep (30 s) later.
    const done = await terminal(runner, ids, 150_000);
    expect(done.filter((t) => t.status !== 'confirmed')).toEqual([]);
    expect(done.some((t) => t.attempts > 1)).toBe(true);
    const a = await audit(runner, anvil.url);
    expect(a.txs.map((t) => t.id).sort()).toEqual([warm, ...ids].sort());
    expectConsistent(a);
    expect(a.chainTxs.length).toBe(101 + a.fillers.length);
  });
});

describe('a chain outage longer than the retry budget', () => {
  it('sent ones fail after exactly 3 attempts, unsent ones after the pre-send budget, and the ones posted after the chain returns end confirmed', async () => {
    const dataDir = tempDataDir();
    const { anvil, runner } = await withChainAndRunner(
      {
        RPC_TIMEOUT_MS: '1000',
        RETRY_BASE_SECONDS: '1',
        RETRY_CAP_SECONDS: '2',
        FEE_CACHE_MS: '60000', // fees known before the outage, so signing (and taking nonces) goes on
        PRESEND_BUDGET_SECONDS: '8',
        SWEEP_INTERVAL_SECONDS: '2',
        SIGNING_LEASE_SECONDS: '2',
      },
      dataDir,
    );
    await warmUp(runner);
    // The node goes away: its process is stopped (state kept on disk), so every call is refused.
    await anvil.stop();
    const during = await inFlight(8, 10, (i) =>
      request(
        runner,
        'POST',
        '/transactions',
        { to: recipient(200 + i), value: '5', ...(i % 2 === 0 ? { gas: '21000' } : {}) },
        { prefer: 'respond-async' },
      ),
    );
    const duringIds = during.map((p) => p.body.id as string);
    // With gas given, each is signed and every send refused: its three attempts are spent. Without, its gas
    // cannot be estimated: nothing is sent, no attempt is spent, and it fails once the budget has passed.
    const sent = new Set(duringIds.filter((_, i) => i % 2 === 0));
    let seen: unknown[] = [];
    await eventually(
      async () => {
        const all = await Promise.all(duringIds.map((id) => request(runner, 'GET', `/transactions/${id}`)));
        seen = all.map((r) => ({ status: r.body.status, attempts: r.body.attempts, message: r.body.message }));
        const over = all.every((r) => (sent.has(r.body.id) ? r.body.attempts === 3 : r.body.status === 'failed'));
        return over ? true : undefined;
      },
      40_000,
      'all attempts to be spent, and the budget of the unsent',
    ).catch((error) => {
      throw new Error(`${error}: ${JSON.stringify(seen)}\n${runner.output().slice(-3000)}`);
    });
    const back = await startAnvil({ chainId: 31337, port: anvil.port, statePath: `${dataDir}/chain.json` });
    cleanup.push(() => back.stop());
    const failed = await terminal(runner, duringIds, 60_000);
    for (const t of failed.filter((t) => sent.has(t.id))) {
      expect(t).toMatchObject({ status: 'failed', attempts: 3 });
      const retried = t.history
        .filter((h: { outcome: string }) => h.outcome === 'retrying')
        .map((h: { attempt: number }) => h.attempt);
      expect(retried.slice(0, 2)).toEqual([1, 2]);
      expect(t.history.at(-1)).toMatchObject({ attempt: 3, outcome: 'failed' });
    }
    for (const t of failed.filter((t) => !sent.has(t.id))) {
      expect(t).toMatchObject({ status: 'failed', attempts: 1, nonce: null, txHash: null });
      expect(t.message).toContain('nothing sent in 8 s of trying');
      expect(t.history.map((h: { attempt: number }) => h.attempt)).toEqual([1, 1]);
    }
    expect(failed.filter((t) => t.nonce !== null).every((t) => typeof t.filledBy === 'string')).toBe(true);
    const after = await inFlight(5, 5, (i) =>
      request(runner, 'POST', '/transactions', { to: recipient(300 + i), value: '7' }, { prefer: 'respond-async' }),
    );
    const afterIds = after.map((p) => p.body.id as string);
    const done = await terminal(runner, afterIds, 60_000);
    expect(done.every((t) => t.status === 'confirmed')).toBe(true);
    await eventually(
      async () => {
        const a = await audit(runner, back.url);
        const mined = new Set(a.chainTxs.map((t) => t.hash));
        return done.every((t) => mined.has(t.txHash)) ? a : undefined;
      },
      30_000,
      'the transactions after the outage to be mined',
    ).then(expectConsistent);
  });
});

describe('a crash of the runner', () => {
  it('SIGKILL with 200 transactions in flight: after a restart every accepted transaction ends, and the chain agrees', async () => {
    const env = {
      STALE_AFTER_SECONDS: '3',
      SWEEP_INTERVAL_SECONDS: '2',
      SIGNING_LEASE_SECONDS: '2',
      WORKERS: '8',
    };
    const { anvil, runner, dataDir } = await withChainAndRunner(env);
    const warm = await warmUp(runner);
    const accepted: string[] = [];
    const posting = inFlight(16, 200, async (i) => {
      const res = await request(
        runner,
        'POST',
        '/transactions',
        { to: recipient(400 + i), value: String(i + 1) },
        { prefer: 'respond-async' },
      ).catch(() => undefined);
      if (res && (res.status === 200 || res.status === 202)) accepted.push(res.body.id);
    });
    await eventually(async () => (accepted.length >= 120 ? true : undefined), 30_000, '120 accepted');
    await runner.kill();
    await posting;
    expect(accepted.length).toBeGreaterThanOrEqual(120);
    const again = await startRunner({
      DATA_DIR: dataDir,
      RPC_URL: anvil.url,
      BROADCAST_WAIT_MS: '0',
      ...env,
      LOG_LEVEL: 'INFO',
    });
    cleanup.push(() => again.stop());
    const done = await terminal(again, accepted, 90_000, anvil.url);
    expect(done.length).toBe(accepted.length);
    await eventually(
      async () => {
        const a = await audit(again, anvil.url);
        expect(new Set(a.txs.map((t) => t.id))).toEqual(new Set([...a.txs.map((t) => t.id), warm, ...accepted]));
        // A row written by a request the crash cut off is not among `accepted`: it too is finished, a moment later.
        if (!a.txs.every((t) => t.status === 'confirmed' || t.status === 'failed')) return undefined;
        const mined = new Set(a.chainTxs.map((t) => t.hash));
        return a.txs.filter((t) => t.status === 'confirmed').every((t) => mined.has(t.txHash as string))
          ? a
          : undefined;
      },
      30_000,
      'every transaction in the table to end confirmed or failed, each confirmed one on chain',
    ).then(expectConsistent);
    // The admin's counts come to say what the table says (the updater writes its batch's counts just after
    // the batch): a kill between a status write and its count leaves a day short, which the restart
    // recounts from the days dynalite's journal named. Whether this kill cut one short is chance;
    // test/integration/atomicDynalite.test.ts kills until one is.
    let compared: unknown;
    await eventually(
      async () => {
        const final = await audit(again, anvil.url);
        const tally: Record<string, number> = {};
        for (const t of final.txs) tally[String(t.status)] = (tally[String(t.status)] ?? 0) + 1;
        const listed = await request(again, 'GET', '/transactions?from=2000-01-01', undefined, {
          authorization: `Bearer ${testTokens.admin}`,
        });
        const sorted = (r: Record<string, unknown>) =>
          JSON.stringify(
            Object.entries(r)
              .filter(([, n]) => n !== 0)
              .sort(([a], [b]) => a.localeCompare(b)),
          );
        compared = { counts: listed.body.counts, tally };
        return sorted(listed.body.counts ?? {}) === sorted(tally) ? true : undefined;
      },
      10_000,
      'the admin counts to equal the table',
    ).catch((error) => {
      throw new Error(`${error}: ${JSON.stringify(compared)}`);
    });
  });
});

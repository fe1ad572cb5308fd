import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { nonceManager, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { type Anvil, startAnvil } from '../infra/local/emulators.ts';
import { localChain, stackEnv } from './benchHelpers.ts';
import { devAccountKey } from './devAccount.ts';
import { type FaultPlan, type FaultProxy, startFaultProxy } from './faultProxy.ts';
import { inFlight } from './inFlight.ts';
import { startBenchStack } from './startBenchStack.ts';

/** One sender's run of `n` transfers through faulty providers, read back from the chain. */
export type FaultsRun = {
  n: number;
  /** Transfers on chain, each once or more: the user's request happened. */
  landed: number;
  /** Requests with two or more on-chain effects (never allowed). */
  duplicates: number;
  /** Transactions left at the node behind a nonce gap, never to be mined unless someone fills it. */
  stuck: number;
  /** The sender's answers that said it failed (the script's errors, the pipeline's `failed`). */
  failed: number;
  wallSeconds: number;
  /** What the providers did with the requests: answered 503, held, forwarded. */
  proxied: { fail: number; hold: number; pass: number };
};

export type FaultsResult = {
  n: number;
  c: number;
  plan: Omit<FaultPlan, 'seed' | 'first'>;
  /** viem's `sendTransaction`, one try each, through one faulty provider. */
  script: FaultsRun;
  /** A careful script: its own nonce counter, sign once, send those bytes up to 3 times, each step retried. */
  carefulScript: FaultsRun;
  /** `POST /transactions` through the local stack, its chain behind two independently faulty providers. */
  pipeline: FaultsRun;
  /** The three senders ran at the same time (each on its own chain), as `--quick` runs them: their seconds overlap. */
  together: boolean;
};

export type FaultsOptions = {
  n: number;
  c: number;
  holdMs: number;
  tokens: { client: string; admin: string };
  say: (line: string) => void;
  /** Run the three senders at once, each on its own chain (the scripts mostly wait out held requests): `--quick`. */
  together?: boolean;
};

const chainId = 31337;
/** Each request's own recipient, so the chain says which requests happened and how often (1 wei each). */
const recipient = (i: number): Hex => `0xfa${(i + 1).toString(16).padStart(38, '0')}`;
const faultShares = { failRate: 0.1, holdRate: 0.05 };
const final = new Set(['confirmed', 'reverted', 'failed']);

/** Reads the chain's truth for `n` requests: landed, duplicated, and what waits behind a gap. */
async function readBack(anvil: Anvil, n: number) {
  const client = createPublicClient({ transport: http(anvil.url) });
  let landed = 0;
  let duplicates = 0;
  await inFlight(16, n, async (i) => {
    const wei = await client.getBalance({ address: recipient(i) });
    if (wei >= 1n) landed++;
    if (wei >= 2n) duplicates++;
  });
  // Anvil's pool: `queued` holds what waits for an earlier nonce that never came.
  const pool = (await client.request({ method: 'txpool_status' } as never)) as { queued: Hex };
  return { landed, duplicates, stuck: Number(pool.queued) };
}

/** A fresh chain, and faulty providers in front of it, one per seed. */
async function faultyChain(seeds: number[], holdMs: number) {
  const anvil = await startAnvil({ chainId });
  const proxies: FaultProxy[] = [];
  for (const seed of seeds) proxies.push(await startFaultProxy(anvil.url, { ...faultShares, holdMs, seed }));
  return {
    anvil,
    proxies,
    proxied: () => {
      const sum = { fail: 0, hold: 0, pass: 0 };
      for (const p of proxies) for (const k of ['fail', 'hold', 'pass'] as const) sum[k] += p.counts[k];
      return sum;
    },
    async stop() {
      for (const p of proxies) await p.stop();
      await anvil.stop();
    },
  };
}

/** The script a user writes first: viem's wallet client with its nonce manager, one try per transfer. */
async function runScript(options: FaultsOptions, careful: boolean): Promise<FaultsRun> {
  const chain = await faultyChain([careful ? 21 : 11], options.holdMs);
  try {
    const [proxy] = chain.proxies;
    if (!proxy) throw new Error('no proxy');
    const local = localChain(chainId, proxy.url);
    // One try per request through the provider: viem's own retries off, its 10 s timeout.
    const transport = http(proxy.url, { retryCount: 0, timeout: 10_000 });
    const send = careful
      ? carefulSender(
          createPublicClient({ chain: local, transport }) as PublicClient,
          privateKeyToAccount(devAccountKey(0)),
        )
      : oneTry(
          createWalletClient({
            account: privateKeyToAccount(devAccountKey(0), { nonceManager }),
            chain: local,
            transport,
          }),
        );
    let failed = 0;
    const start = Date.now();
    await inFlight(options.c, options.n, async (i) => {
      try {
        await send({ to: recipient(i), value: 1n, gas: 21_000n });
      } catch {
        failed++;
      }
    });
    const wallSeconds = (Date.now() - start) / 1000;
    // A held send still reaches the node after the script gave up on it: the chain is read once it has.
    await sleep(options.holdMs + 1000);
    return { n: options.n, ...(await readBack(chain.anvil, options.n)), failed, wallSeconds, proxied: chain.proxied() };
  } finally {
    await chain.stop();
  }
}

/** viem's `sendTransaction` with the wallet's account, once. */
const oneTry =
  (wallet: WalletClient<Transport, Chain, Account>) =>
  (request: { to: Hex; value: bigint; gas: bigint }): Promise<unknown> =>
    wallet.sendTransaction(request);

/** Up to `tries` of `step`, 250 ms then 500 ms apart. */
async function withTries<T>(tries: number, step: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (error) {
      if (i >= tries) throw error;
      await sleep(250 * 2 ** (i - 1));
    }
  }
}

/**
 * What a careful script does: its own nonce counter (seeded once from the pending count, so no two
 * requests share a nonce and a retry never takes a new one), fees fetched and the transfer signed once
 * (each step tried 3 times), then those same bytes sent up to 3 times; an "already known" or "nonce too
 * low" on a retry is its own first try having reached the node. A nonce whose every try failed is a gap
 * that holds up every later one: the script has no filler.
 */
function carefulSender(client: PublicClient, account: PrivateKeyAccount) {
  let next: Promise<number> | undefined;
  let taken = 0;
  return async (request: { to: Hex; value: bigint; gas: bigint }) => {
    next ??= withTries(3, () => client.getTransactionCount({ address: account.address, blockTag: 'pending' }));
    const base = await next.catch((error: unknown) => {
      next = undefined;
      throw error;
    });
    const fees = await withTries(3, () => client.estimateFeesPerGas());
    const nonce = base + taken++;
    const signed = await account.signTransaction({ ...request, ...fees, nonce, chainId, type: 'eip1559' });
    let tried = 0;
    await withTries(3, async () => {
      tried++;
      try {
        await client.sendRawTransaction({ serializedTransaction: signed });
      } catch (error) {
        const text = String(error).toLowerCase();
        if (tried > 1 && (text.includes('already known') || text.includes('nonce too low'))) return;
        throw error;
      }
    });
  };
}

/** The pipeline: the local stack, its chain behind two faulty providers with seeds of their own. */
async function runPipelineThroughFaults(options: FaultsOptions): Promise<FaultsRun> {
  const chain = await faultyChain([31, 32], options.holdMs);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-faults-'));
  try {
    const urls = chain.proxies.map((p) => p.url).join(',');
    const stack = await startBenchStack(
      stackEnv(dataDir, urls, options.tokens, { LOG_LEVEL: 'WARN', MAX_IN_FLIGHT_PER_SIGNER: '100000' }, chainId),
    );
    try {
      const headers = {
        authorization: `Bearer ${options.tokens.client}`,
        'content-type': 'application/json',
        prefer: 'respond-async',
      };
      const ids: string[] = [];
      const start = Date.now();
      await inFlight(options.c, options.n, async (i) => {
        const body = JSON.stringify({ to: recipient(i), value: '1', gas: '21000' });
        const res = await fetch(`${stack.url}/transactions`, { method: 'POST', headers, body });
        const answer = (await res.json()) as { id?: string };
        if (res.status !== 202 || !answer.id) throw new Error(`POST /transactions answered ${res.status}`);
        ids[i] = answer.id;
      });
      // Until every one is confirmed, reverted or failed: what the service says happened.
      const statuses = new Map<string, string>();
      const deadline = Date.now() + 120_000 + options.n * 200;
      let open = ids;
      while (open.length > 0) {
        if (Date.now() > deadline) throw new Error(`faults: ${open.length} of ${options.n} not settled in time`);
        await inFlight(8, open.length, async (i) => {
          const id = open[i] as string;
          const res = await fetch(`${stack.url}/transactions/${id}`, { headers });
          statuses.set(id, ((await res.json()) as { status: string }).status);
        });
        open = open.filter((id) => !final.has(statuses.get(id) ?? ''));
        if (open.length > 0) await sleep(500);
      }
      const wallSeconds = (Date.now() - start) / 1000;
      const failed = [...statuses.values()].filter((s) => s === 'failed').length;
      await sleep(options.holdMs + 1000);
      return {
        n: options.n,
        ...(await readBack(chain.anvil, options.n)),
        failed,
        wallSeconds,
        proxied: chain.proxied(),
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The faults phase: `n` transfers, `c` in flight, each to a recipient of its own, through RPC providers
 * that answer 10% of requests 503 and hold 5% `holdMs` before forwarding them (seeded, so runs repeat):
 * the one-try script, the careful script, and the pipeline (two such providers, each with its own
 * faults). Each on a fresh chain, read back from it: landed, duplicated, stuck behind a gap.
 */
export async function runFaults(options: FaultsOptions): Promise<FaultsResult> {
  const together = options.together ?? false;
  let script: FaultsRun;
  let carefulScript: FaultsRun;
  let pipeline: FaultsRun;
  if (together) {
    options.say('faults: the viem script, the careful script and the pipeline at the same time...');
    [script, carefulScript, pipeline] = await Promise.all([
      runScript(options, false),
      runScript(options, true),
      runPipelineThroughFaults(options),
    ]);
  } else {
    options.say(`faults: the viem script, one try each...`);
    script = await runScript(options, false);
    options.say(`faults: the careful script, 3 tries...`);
    carefulScript = await runScript(options, true);
    options.say(`faults: the pipeline, two faulty providers...`);
    pipeline = await runPipelineThroughFaults(options);
  }
  return {
    n: options.n,
    c: options.c,
    plan: { ...faultShares, holdMs: options.holdMs },
    script,
    carefulScript,
    pipeline,
    together,
  };
}

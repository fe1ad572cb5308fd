import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPublicClient, createWalletClient, type Hex, http } from 'viem';
import { nonceManager, privateKeyToAccount } from 'viem/accounts';
import { type Anvil, startAnvil } from '../infra/local/emulators.ts';
import { localChain, stackEnv } from './benchHelpers.ts';
import { createSightings } from './createSightings.ts';
import { devAccountKey } from './devAccount.ts';
import { inFlight } from './inFlight.ts';
import { percentile } from './percentile.ts';
import { startBenchStack } from './startBenchStack.ts';
import { type Throughput, throughput } from './Throughput.ts';

/** How much the signers phase sends, and what with (the block time and the cap are the issue's, fixed below). */
export type SignersOptions = {
  /** Each run sends `rounds` x cap x signers transactions (timed), after one round untimed. */
  rounds: number;
  /** Requests in flight from the benchmark's client (the stack's own cap decides what is unmined). */
  c: number;
  to: Hex;
  tokens: { client: string; admin: string };
  say: (line: string) => void;
};

/** One run of the pool, or of the viem script, on its own chain. */
export type SignersRun = Throughput & {
  signers: number;
  /** Transactions each signer sent (timed and warm-up), by address. */
  perSigner: Record<string, number>;
  /** The most unmined transactions any one signer had at the node (pending nonce - mined nonce), sampled every 100 ms. */
  maxUnminedSeen: number;
  /** From the node taking a transaction (`success`; the script: its send answered) until it is known mined, ms. */
  slotHeldMs: { p50: number; p99: number };
  /**
   * How long one in-flight slot took to turn over on average: signers x cap / tx/s, ms. What it adds to
   * `slotHeldMs` is the way back in: the wake, the queue, the claim, the signature, the send.
   */
  slotCycleMs: number;
  /** The machine's 1-minute load average when the run began (other work on the same cores slows it). */
  loadAverage: number;
  /** The stack's process: CPU time over the run's wall time (2 = both cores), its main thread's event loop busy 0-1. */
  stackCpu?: { cores: number; mainThread: number };
  /** Read back afterwards: how many are mined (or later), and whether each signer's nonces run 0..n-1 with no gap. */
  verified: { mined: number; consecutiveNonces: boolean };
};

export type SignersResult = {
  blockTimeSeconds: number;
  maxInFlightPerSigner: number;
  rounds: number;
  /** Each transaction is timed until it is known mined: the updater recorded it in a block (`mined` or later); the script: its receipt. */
  measuredTo: 'mined';
  /** What the stacks ran with: the chain's depth (at 1, `confirmed` is the first record of a block) and the tracker's look interval. */
  stackSettings: { confirmations: number; trackIntervalSeconds: number };
  /** How often the script polls for receipts (viem's default for a chain of this block time). */
  viemPollingMs: number;
  /** Transactions per second of each run, to mined. */
  throughput: { one: number; two: number; four: number; viemOneKey: number };
  runs: { one: SignersRun; two: SignersRun; four: SignersRun; viemOneKey: SignersRun };
  ratios: { twoToOne: number; fourToOne: number; fourToViemOneKey: number };
  targets: { fourToOne: { atLeast: number; met: boolean }; fourToViemOneKey: { atLeast: number; met: boolean } };
};

const blockTimeSeconds = 1;
const cap = 16;
const chainId = 31337;
// The local chain's own depth, set so that no CONFIRMATIONS in the caller's environment changes it: a receipt
// in a block is final at once (`confirmed`), the record's first word that the transaction is mined.
const confirmations = 1;
// About a block, as TRACK_INTERVAL_SECONDS is meant to be (its default for an unknown chain is 2 s).
const trackIntervalSeconds = 1;

/**
 * The most of each of `addresses`' transactions seen unmined at the node at once, from two lower bounds of
 * the true most, never above it: the unmined count (pending nonce - latest nonce) sampled every 100 ms
 * until stopped, and the most transactions from one of them in one block since the watch began (each was
 * unmined just before its block). The second does not depend on a sample landing between a send and its
 * block, so it is above 0 whenever anything was mined.
 */
function watchUnmined(rpcUrl: string, addresses: Hex[]) {
  // Nothing cached: viem keeps a block number for its polling interval (4 s), longer than a quick run.
  const client = createPublicClient({ transport: http(rpcUrl), cacheTime: 0 });
  const watched = new Set(addresses.map((a) => a.toLowerCase()));
  let max = 0;
  let running = true;
  const firstBlock = client.getBlockNumber();
  const done = (async () => {
    while (running) {
      const counts = await Promise.all(
        addresses.map(async (address) => {
          // Pending first: a block that lands between the two reads can only make the count smaller, never larger.
          const pending = await client.getTransactionCount({ address, blockTag: 'pending' });
          const latest = await client.getTransactionCount({ address, blockTag: 'latest' });
          return pending - latest;
        }),
      ).catch(() => [0]);
      max = Math.max(max, ...counts);
      await sleep(100);
    }
  })();
  return async () => {
    running = false;
    await done;
    const from = (await firstBlock) + 1n;
    const to = await client.getBlockNumber();
    for (let n = from; n <= to; n++) {
      const block = await client.getBlock({ blockNumber: n, includeTransactions: true });
      const perSender = new Map<string, number>();
      for (const tx of block.transactions) {
        const sender = tx.from.toLowerCase();
        if (watched.has(sender)) perSender.set(sender, (perSender.get(sender) ?? 0) + 1);
      }
      max = Math.max(max, ...perSender.values());
    }
    return max;
  };
}

/** The mean time one of `signers` x cap slots takes to turn over at `perSecond`, ms. */
const cycleMs = (signers: number, perSecond: number) => (perSecond > 0 ? (signers * cap * 1000) / perSecond : 0);

/** Whether each signer's nonces are exactly 0..n-1. */
function consecutive(noncesBySigner: Map<string, number[]>): boolean {
  for (const nonces of noncesBySigner.values()) {
    const sorted = [...nonces].sort((a, b) => a - b);
    if (sorted.some((n, i) => n !== i)) return false;
  }
  return true;
}

/** The local stack with a pool of `signers` dev keys, on an anvil of its own with one-second blocks: `rounds` rounds timed. */
async function runPool(signers: number, options: SignersOptions): Promise<SignersRun> {
  const keys = Array.from({ length: signers }, (_, i) => devAccountKey(i));
  const addresses = keys.map((k) => privateKeyToAccount(k).address);
  const dataDir = mkdtempSync(join(os.tmpdir(), `broadcaster-bench-signers-${signers}-`));
  const anvil = await startAnvil({ chainId, blockTime: blockTimeSeconds });
  try {
    const stack = await startBenchStack(
      stackEnv(dataDir, anvil.url, options.tokens, {
        SIGNER_PRIVATE_KEYS: keys.join(','),
        MAX_IN_FLIGHT_PER_SIGNER: String(cap),
        CONFIRMATIONS: String(confirmations),
        TRACK_INTERVAL_SECONDS: String(trackIntervalSeconds),
      }),
    );
    try {
      return await measurePool(stack, anvil, addresses, options);
    } finally {
      await stack.stop();
    }
  } finally {
    await anvil.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Posts one round (cap x signers) untimed and waits until it is mined, then `rounds` rounds at once, timed
 * from the first `POST` until the updater has recorded the last one in a block (heard from the stack's
 * counters). Those that find every signer full wait in the stack's line: the burst is the point.
 */
async function measurePool(
  stack: Awaited<ReturnType<typeof startBenchStack>>,
  anvil: Anvil,
  addresses: Hex[],
  options: SignersOptions,
): Promise<SignersRun> {
  const successAt = new Map<string, number>();
  const minedSightings = createSightings('mined');
  const minedAt = minedSightings.at;
  stack.onSuccess(({ id, at, status }) => {
    if (status === 'success') {
      if (!successAt.has(id)) successAt.set(id, at);
      return;
    }
    // `final` without a `mined` first would be a receipt found already at depth: mined all the same.
    minedSightings.see(id, at);
  });
  const headers = {
    authorization: `Bearer ${options.tokens.client}`,
    'content-type': 'application/json',
    prefer: 'respond-async',
  };
  const body = JSON.stringify({ to: options.to, value: '1', gas: '21000' });

  /** Posts `count` transactions, all at once (`c` in flight), and resolves once every one is mined. */
  async function batch(count: number) {
    const ids: string[] = [];
    let errors = 0;
    const start = Date.now();
    await inFlight(options.c, count, async (i) => {
      const res = await fetch(`${stack.url}/transactions`, { method: 'POST', headers, body });
      const answer = (await res.json()) as { id?: string };
      if (res.status !== 202 || !answer.id) errors++;
      else ids[i] = answer.id;
    });
    // Several rounds of blocks, and the sweep's interval (30 s) as margin for a wake that never came.
    await minedSightings.all(ids, 60_000 + count * 100).catch((error: unknown) => {
      throw new Error(`signers: ${error instanceof Error ? error.message : String(error)}`);
    });
    const end = Math.max(...ids.map((id) => minedAt.get(id) ?? 0));
    return { ids, errors, start, end };
  }

  const round = cap * addresses.length;
  const warm = await batch(round);
  const loadAverage = os.loadavg()[0] ?? 0;
  stack.reset();
  const stopWatch = watchUnmined(anvil.url, addresses);
  const run = await batch(round * options.rounds);
  const maxUnminedSeen = await stopWatch();
  const { counts } = await stack.snapshot();
  const wallMs = run.end - run.start;

  // Read back: each one mined or later, by one of the pool, and each signer's nonces with no gap.
  const all = [...warm.ids, ...run.ids].filter((id) => id !== undefined);
  const perSigner: Record<string, number> = Object.fromEntries(addresses.map((a) => [a, 0]));
  const nonces = new Map<string, number[]>();
  let mined = 0;
  await inFlight(options.c, all.length, async (i) => {
    const res = await fetch(`${stack.url}/transactions/${all[i]}`, { headers });
    const tx = (await res.json()) as { status?: string; from?: string | null; nonce?: number | null };
    if (tx.status === 'mined' || tx.status === 'confirmed') mined++;
    if (tx.from && typeof tx.nonce === 'number') {
      perSigner[tx.from] = (perSigner[tx.from] ?? 0) + 1;
      nonces.set(tx.from, [...(nonces.get(tx.from) ?? []), tx.nonce]);
    }
  });
  const held = run.ids.map((id) => (minedAt.get(id) ?? run.end) - (successAt.get(id) ?? run.start));
  const measured = throughput(round * options.rounds, wallMs, run.errors);
  return {
    ...measured,
    signers: addresses.length,
    perSigner,
    maxUnminedSeen,
    slotHeldMs: { p50: percentile(held, 50), p99: percentile(held, 99) },
    slotCycleMs: cycleMs(addresses.length, measured.perSecond),
    loadAverage,
    stackCpu: { cores: counts.cpuMs / Math.max(1, wallMs), mainThread: counts.mainThreadUtilization },
    verified: { mined, consecutiveNonces: consecutive(nonces) },
  };
}

/**
 * The script a user weighs one key against: viem's `walletClient.sendTransaction` with its nonce manager,
 * straight at an anvil of its own with one-second blocks, no durability, and the same cap: at most `cap`
 * unmined, a slot freed when its receipt comes back (viem's `waitForTransactionReceipt`).
 */
async function runViemOneKey(options: SignersOptions): Promise<{ run: SignersRun; pollingMs: number }> {
  const anvil = await startAnvil({ chainId, blockTime: blockTimeSeconds });
  try {
    // What viem's own chain definitions say of a chain's block time; its clients poll at half of it.
    const chain = localChain(chainId, anvil.url, blockTimeSeconds);
    const account = privateKeyToAccount(devAccountKey(0), { nonceManager });
    const wallet = createWalletClient({ account, chain, transport: http(anvil.url) });
    const client = createPublicClient({ chain, transport: http(anvil.url) });
    const heldMs: number[] = [];
    let errors = 0;
    let end = 0;
    const send = async (timed: boolean) => {
      try {
        const hash = await wallet.sendTransaction({ to: options.to, value: 1n, gas: 21_000n });
        const sentAt = Date.now();
        await client.waitForTransactionReceipt({ hash });
        end = Date.now();
        if (timed) heldMs.push(end - sentAt);
      } catch {
        if (timed) errors++;
      }
    };
    await inFlight(cap, cap, () => send(false));
    const loadAverage = os.loadavg()[0] ?? 0;
    const stopWatch = watchUnmined(anvil.url, [account.address]);
    const n = cap * options.rounds;
    const start = Date.now();
    await inFlight(cap, n, () => send(true));
    const maxUnminedSeen = await stopWatch();
    const mined = await client.getTransactionCount({ address: account.address, blockTag: 'latest' });
    const measured = throughput(n, end - start, errors);
    return {
      pollingMs: client.pollingInterval,
      run: {
        ...measured,
        signers: 1,
        perSigner: { [account.address]: mined },
        maxUnminedSeen,
        slotHeldMs: { p50: percentile(heldMs, 50), p99: percentile(heldMs, 99) },
        slotCycleMs: cycleMs(1, measured.perSecond),
        loadAverage,
        verified: { mined: mined - cap, consecutiveNonces: mined === n + cap },
      },
    };
  } finally {
    await anvil.stop();
  }
}

/**
 * The signer pool's phase: on anvil with one-second blocks and the in-flight cap of 16, the local stack
 * with 1, 2 and 4 signers (each run a stack and a chain of its own), then the viem script with one key;
 * every transaction timed until it is known mined. Each run sends `rounds` x 16 x signers transactions
 * at once, after one such round untimed, so each lasts about the same number of blocks.
 */
export async function runSigners(options: SignersOptions): Promise<SignersResult> {
  const pool: SignersRun[] = [];
  for (const signers of [1, 2, 4]) {
    options.say(`signers: ${signers} signer(s), ${options.rounds * cap * signers} transactions to mined...`);
    pool.push(await runPool(signers, options));
  }
  const [one, two, four] = pool as [SignersRun, SignersRun, SignersRun];
  options.say(`signers: the viem script with one key, ${options.rounds * cap} transactions to their receipts...`);
  const viem = await runViemOneKey(options);
  const fourToOne = four.perSecond / one.perSecond;
  const fourToViemOneKey = four.perSecond / viem.run.perSecond;
  return {
    blockTimeSeconds,
    maxInFlightPerSigner: cap,
    rounds: options.rounds,
    measuredTo: 'mined',
    stackSettings: { confirmations, trackIntervalSeconds },
    viemPollingMs: viem.pollingMs,
    throughput: { one: one.perSecond, two: two.perSecond, four: four.perSecond, viemOneKey: viem.run.perSecond },
    runs: { one, two, four, viemOneKey: viem.run },
    ratios: { twoToOne: two.perSecond / one.perSecond, fourToOne, fourToViemOneKey },
    targets: {
      fourToOne: { atLeast: 3.5, met: fourToOne >= 3.5 },
      fourToViemOneKey: { atLeast: 3, met: fourToViemOneKey >= 3 },
    },
  };
}

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { startAnvil } from '../infra/local/emulators.ts';
import { type BenchTokens, describeUnfinished, postAsync, stackEnv } from './benchHelpers.ts';
import { createSightings } from './createSightings.ts';
import { startBenchStack } from './startBenchStack.ts';

/** Where the stack's CPU goes, by what the sampled function belongs to. */
export const cpuParts = [
  'handlers',
  'localRunner',
  'awsSdk',
  'nodeHttp',
  'viem',
  'powertools',
  'zod',
  'otherLibraries',
  'nodeAndV8',
  'gc',
  'emulators',
] as const;
export type CpuPart = (typeof cpuParts)[number];

export type CpuSplit = {
  n: number;
  /** Of the `n`, those not confirmed within the phase's time (their work so far is in the split), and where they stood. */
  unfinished: number;
  unfinishedDescribed?: string;
  /** Milliseconds of CPU per transaction, every thread of the stack's process, from POST to confirmed. */
  totalMsPerTx: number;
  msPerTx: Record<CpuPart, number>;
  /** The main thread (the handlers, the pollers, the HTTP server) and the emulators' threads. */
  threadsMsPerTx: { main: number; emulators: number };
};

export type CpuSplitOptions = { n: number; c: number; to: Hex; tokens: BenchTokens };

type ProfileNode = { id: number; callFrame: { functionName: string; url: string } };
type Profile = { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };

/** What a sampled function belongs to, from its script's URL (and V8's names for what is not JavaScript). */
export function partOf(frame: { functionName: string; url: string }): CpuPart | undefined {
  const { functionName, url } = frame;
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'gc';
  if (url === '') return 'nodeAndV8';
  if (/\/node_modules\/(dynalite|fauxqs|classic-level|abstract-level|level[-a-z]*|memdown|lazy|big\.js)\//.test(url))
    return 'emulators';
  if (/\/node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//.test(url)) return 'awsSdk';
  if (/\/node_modules\/(viem|ox|abitype|@noble|@scure)\//.test(url)) return 'viem';
  if (url.includes('/node_modules/@aws-lambda-powertools/')) return 'powertools';
  if (url.includes('/node_modules/zod/')) return 'zod';
  if (url.includes('/node_modules/')) return 'otherLibraries';
  if (/^node:(_http|http|https|net|tls|dns|internal\/(http|streams|net|deps\/undici|dns|tls|url))/.test(url))
    return 'nodeHttp';
  if (url.startsWith('node:')) return 'nodeAndV8';
  if (url.includes('/functions/')) return 'handlers';
  if (url.includes('/infra/') || url.includes('/bench/')) return 'localRunner';
  return 'otherLibraries';
}

/** Sums a profile's self time (µs) per part, over the samples taken within `[fromUs, toUs]`. */
export function splitProfile(profile: Profile, fromUs: number, toUs: number): Record<CpuPart, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parts = Object.fromEntries(cpuParts.map((p) => [p, 0])) as Record<CpuPart, number>;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    // A sample stands for the time until the next one (as DevTools counts it).
    const spent = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i] ?? -1);
    const part = node && partOf(node.callFrame);
    if (part) parts[part] += spent;
  }
  return parts;
}

/**
 * The stack's process under V8's CPU profiler (every thread): `n` `POST`s, `c` in flight, each followed
 * to `confirmed`, after a warm-up; the samples between the first `POST` and the last `confirmed` are
 * split by what the sampled function belongs to. The profiler slows the stack: this phase's time is not
 * a throughput, only the split is.
 */
export async function runCpuSplit(options: CpuSplitOptions): Promise<CpuSplit> {
  const profiles = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-cpu-'));
  const dataDir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-cpu-data-'));
  const chainId = 31337;
  const anvil = await startAnvil({ chainId });
  let window: [number, number] = [0, 0];
  let unfinished = 0;
  let described: string | undefined;
  try {
    const stack = await startBenchStack(
      stackEnv(dataDir, anvil.url, options.tokens, { MAX_IN_FLIGHT_PER_SIGNER: '100000', TRACK_INTERVAL_SECONDS: '1' }),
      profiles,
    );
    try {
      const final = createSightings('final');
      stack.onSuccess(({ id, at, status }) => {
        if (status === 'final') final.see(id, at);
      });
      const send = async (count: number) => {
        const ids = await postAsync(stack, options.tokens.client, options.to, count, options.c);
        // One not confirmed in time does not void the split: it is counted, and said.
        await final.all(ids, 120_000 + count * 50).catch(() => undefined);
        const open = ids.filter((id) => !final.at.has(id));
        if (open.length > 0) described = await describeUnfinished(stack, options.tokens.client, open);
        return open.length;
      };
      await send(Math.min(100, options.n));
      const from = await stack.mark();
      unfinished = await send(options.n);
      window = [from, await stack.mark()];
    } finally {
      await stack.stop();
    }
    const total = Object.fromEntries(cpuParts.map((p) => [p, 0])) as Record<CpuPart, number>;
    let main = 0;
    let emulators = 0;
    for (const file of readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'))) {
      const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8')) as Profile;
      const parts = splitProfile(profile, ...window);
      const sum = Object.values(parts).reduce((a, b) => a + b, 0);
      // A worker thread of the stack runs an emulator: all of its time is the emulators'.
      const isMain = /\.0\.\d+\.cpuprofile$/.test(file);
      if (isMain) {
        main += sum;
        for (const part of cpuParts) total[part] += parts[part];
      } else {
        emulators += sum;
        total.emulators += sum;
      }
    }
    const perTx = (us: number) => us / 1000 / options.n;
    return {
      n: options.n,
      unfinished,
      ...(described ? { unfinishedDescribed: described } : {}),
      totalMsPerTx: perTx(main + emulators),
      msPerTx: Object.fromEntries(cpuParts.map((p) => [p, perTx(total[p])])) as Record<CpuPart, number>,
      threadsMsPerTx: { main: perTx(main), emulators: perTx(emulators) },
    };
  } finally {
    await anvil.stop();
    rmSync(profiles, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

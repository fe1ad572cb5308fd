import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { startAnvil } from '../infra/local/emulators.ts';
import type { BenchReport } from './BenchReport.ts';
import { stackEnv } from './benchHelpers.ts';
import { estimateCost } from './estimateCost.ts';
import { formatReport } from './formatReport.ts';
import { measureBundles } from './measureBundles.ts';
import { parseArgs } from './parseArgs.ts';
import { perTransaction, trackingAdds } from './perTransaction.ts';
import { runBaseline } from './runBaseline.ts';
import { runBlocks } from './runBlocks.ts';
import { runCeiling } from './runCeiling.ts';
import { runCpuSplit } from './runCpuSplit.ts';
import { runFaults } from './runFaults.ts';
import { runGrowth } from './runGrowth.ts';
import { runLatency } from './runLatency.ts';
import { runOverload } from './runOverload.ts';
import { runPipeline } from './runPipeline.ts';
import { runSigners } from './runSigners.ts';
import { runTable } from './runTable.ts';
import { startBenchStack } from './startBenchStack.ts';

// `npm run bench`: the ceiling, the baseline, the table and the pipeline, side by side on one local chain;
// then the signer pool, each of its runs on a chain with one-second blocks and a stack of its own; then
// goodput through faulty RPC providers, each sender on a fresh chain.

const options = parseArgs(process.argv.slice(2));
const tokens = { client: 'bench-client-token', admin: 'bench-admin-token' };
const to: Hex = '0x000000000000000000000000000000000000beef';
const say = (line: string) => process.stderr.write(`${line}\n`);
const began = Date.now();
/** Seconds each phase took, wall clock, in the order they ran. */
const phaseSeconds: Record<string, number> = {};
async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await run();
  } finally {
    phaseSeconds[name] = (Date.now() - start) / 1000;
  }
}

say('bundling each function...');
const bundles = await measureBundles();
const dataDir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-'));
say(`starting anvil and the local stack (data in ${dataDir})...`);
// Our own anvil, without the runner's periodic state dumps: they grow with the chain and would slow
// whichever phase runs last. The three phases share it, one after another.
const chainId = 31337;
const anvil = await startAnvil({ chainId });
const stack = await startBenchStack(
  stackEnv(dataDir, anvil.url, tokens, {
    // Automine mines each transaction at once, but the stack reads a signer's mined count at most once a
    // second: at tens of transactions a second the default cap of 16 binds while the node holds none
    // unmined, and the run times the waiting line (2000 took 104 s instead of 47). The cap is the signers
    // phase's to measure, on a chain with blocks.
    MAX_IN_FLIGHT_PER_SIGNER: '100000',
  }),
  options.cpuProf,
).catch(async (error: unknown) => {
  await anvil.stop();
  throw error;
});
/** The four phases, one after another on the shared chain and stack. */
async function measureShared() {
  const phase = { n: options.n, c: options.c, warmup: options.warmup, to, estimateGas: options.estimateGas };
  say(`ceiling: ${options.n} pre-signed eth_sendRawTransaction, ${options.c} in flight...`);
  const ceiling = await timed('ceiling', () => runCeiling(stack.rpcUrl, stack.chainId, phase));
  say(`baseline: ${options.n} viem sendTransaction, ${options.c} in flight...`);
  const baseline = await timed('baseline', () => runBaseline(stack.rpcUrl, stack.chainId, phase));
  say(
    `table: ${options.n} transactions' four writes each, straight to a dynalite of its own, ${options.c} in flight...`,
  );
  const table = await timed('table', () => runTable(stack.chainId, phase));
  say(
    `pipeline: ${options.n} POST /transactions, ${options.c} in flight, until every one is success, then confirmed...`,
  );
  const pipeline = await timed('pipeline', () => runPipeline(stack, tokens.client, phase));
  say(
    `latency: ${options.latencyN} POST /transactions waiting for their 200, one at a time, against the script's send...`,
  );
  const latency = await timed('latency', () =>
    runLatency(stack, { n: options.latencyN, warmup: 10, to, token: tokens.client }),
  );
  return { ceiling, baseline, table, pipeline, latency };
}

let shared: Awaited<ReturnType<typeof measureShared>>;
try {
  shared = await measureShared();
} finally {
  await stack.stop();
  await anvil.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
const { ceiling, baseline, table, pipeline, latency } = shared;

// Once the shared stack has stopped, so that nothing else of the benchmark's runs on the cores meanwhile.
say(`cpu: ${options.cpuN} POST /transactions to confirmed under V8's CPU profiler, split by what the time went to...`);
const cpu = await timed('cpu', () => runCpuSplit({ n: options.cpuN, c: options.c, to, tokens }));
say(
  `signers: 1, 2 and 4 signers, then the viem script with one key; 1-second blocks, 16 in flight per signer, ${options.signerRounds} rounds timed to mined...`,
);
const signers = await timed('signers', () =>
  runSigners({ rounds: options.signerRounds, c: options.c, to, tokens, say }),
);
say(
  `blocks: ${options.blocksN} POST /transactions to mined and to depth 2 against the viem script's send and receipt, 4 in flight each, 1-second blocks...`,
);
const blocks = { ...(await timed('blocks', () => runBlocks({ n: options.blocksN, c: 4, to, tokens }))), signers };
say(
  `faults: ${options.faultsN} transfers per sender, 16 in flight, 10% of RPC requests answered 503 and 5% held ${options.holdMs / 1000} s...`,
);
const faults = await timed('faults', () =>
  runFaults({
    n: options.faultsN,
    c: 16,
    holdMs: options.holdMs,
    tokens,
    say,
    together: options.quick,
  }),
);
say(
  `overload: ${options.overloadN} POST /transactions at ${options.c} in flight into one worker taking one at a time, with an eager sweep and without...`,
);
const overload = await timed('overload', () => runOverload({ n: options.overloadN, c: options.c, to, tokens }));
say(
  `growth: the runner of npm start filled to ${options.growthSizes.join(', ')} confirmed transactions; at each, the admin's first page, health, a sweep, restarts and the data directory...`,
);
const growth = await timed('growth', () => runGrowth({ sizes: options.growthSizes, c: options.c, to, tokens }));

// The api's duration is about its answer time: `Prefer: respond-async` answers as soon as it has enqueued.
const apiMs = pipeline.post.mean;
const toSuccess = perTransaction(pipeline.counts, options.n, pipeline.logBytes, apiMs);
// The whole happy path, the tracker's looks to the chain's depth included: what a transaction costs.
const perTx = perTransaction(pipeline.countsToFinal, options.n, pipeline.logBytesToFinal, apiMs);
const cpus = os.cpus();
const report: BenchReport = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  options: {
    n: options.n,
    c: options.c,
    warmup: options.warmup,
    gas: options.estimateGas ? 'estimated' : 'given',
    quick: options.quick,
    signerRounds: options.signerRounds,
    faultsN: options.faultsN,
    latencyN: options.latencyN,
    blocksN: options.blocksN,
    overloadN: options.overloadN,
    growthSizes: options.growthSizes,
    cpuN: options.cpuN,
  },
  throughput: {
    ceiling: ceiling.perSecond,
    baseline: baseline.perSecond,
    table: table.perSecond,
    pipeline: pipeline.throughput.perSecond,
  },
  ratios: {
    pipelineToBaseline: pipeline.throughput.perSecond / baseline.perSecond,
    pipelineToCeiling: pipeline.throughput.perSecond / ceiling.perSecond,
    pipelineToTable: pipeline.throughput.perSecond / table.perSecond,
  },
  latencyMs: {
    postP50: pipeline.post.p50,
    postP95: pipeline.post.p95,
    postP99: pipeline.post.p99,
    successP50: pipeline.success.p50,
    successP99: pipeline.success.p99,
    finalP50: pipeline.final.p50,
    finalP99: pipeline.final.p99,
  },
  phases: { ceiling, baseline, table, pipeline: pipeline.throughput },
  perTransaction: perTx,
  perTransactionToSuccess: toSuccess,
  trackingAdds: trackingAdds(pipeline.countsToFinal, options.n),
  costPerMillion: estimateCost(perTx),
  bundles,
  verified: pipeline.verified,
  blocks,
  faults,
  latency,
  overload,
  growth,
  cpu,
  phaseSeconds,
  durationSeconds: (Date.now() - began) / 1000,
};
process.stdout.write(formatReport(report));
if (options.out) {
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  say(`wrote ${options.out}`);
}

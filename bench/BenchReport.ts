import type { CostEstimate } from './estimateCost.ts';
import type { BundleSize } from './measureBundles.ts';
import type { PerTransaction, TrackingAdds } from './perTransaction.ts';
import type { BlocksResult } from './runBlocks.ts';
import type { CpuSplit } from './runCpuSplit.ts';
import type { FaultsResult } from './runFaults.ts';
import type { GrowthResult } from './runGrowth.ts';
import type { LatencyResult } from './runLatency.ts';
import type { OverloadResult } from './runOverload.ts';
import type { Throughput } from './Throughput.ts';

/** The JSON `npm run bench -- --out FILE` writes; `throughput` and `latencyMs` are stable for scripts to compare. */
export type BenchReport = {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  options: {
    n: number;
    c: number;
    warmup: number;
    gas: 'given' | 'estimated';
    quick: boolean;
    signerRounds: number;
    faultsN: number;
    latencyN: number;
    blocksN: number;
    overloadN: number;
    growthSizes: number[];
    cpuN: number;
  };
  /** Transactions per second; `table` is the local table's floor (a transaction's four writes, nothing else). */
  throughput: { ceiling: number; baseline: number; table: number; pipeline: number };
  ratios: { pipelineToBaseline: number; pipelineToCeiling: number; pipelineToTable: number };
  latencyMs: {
    postP50: number;
    postP95: number;
    postP99: number;
    successP50: number;
    successP99: number;
    /** From the `POST` to `confirmed` at the chain's depth. */
    finalP50: number;
    finalP99: number;
  };
  phases: { ceiling: Throughput; baseline: Throughput; table: Throughput; pipeline: Throughput };
  /** The whole happy path, to `confirmed`: what the cost is estimated from. */
  perTransaction: PerTransaction;
  /** The same, counted when every transaction was `success`: the pipeline before the tracker follows it. */
  perTransactionToSuccess: PerTransaction;
  trackingAdds: TrackingAdds;
  costPerMillion: CostEstimate;
  /** Minified bytes of each function's bundle. */
  bundles: Record<string, BundleSize>;
  verified: { success: number; distinctNonces: number };
  /**
   * On anvil with one-second blocks: `POST` to mined and to depth 2 against the viem script's send and
   * receipt; and `signers`, the signer pool with 16 in flight per signer, each run on a chain and a stack of
   * its own, timed to mined: 1, 2 and 4 signers and the viem script with one key (its `throughput` (tx/s)
   * and `ratios` are stable for scripts, as above).
   */
  blocks: BlocksResult;
  /**
   * Goodput through faulty RPC providers (10% of requests 503, 5% held): the viem script with one try, the
   * careful script, and the pipeline over two providers, each on a fresh chain read back for what landed,
   * what landed twice and what is stuck behind a nonce gap.
   */
  faults: FaultsResult;
  /**
   * At low load, one request at a time on the shared chain: `POST` to its `200` against the script's
   * `sendTransaction`, what the pipeline adds at p50 and p99 against its targets, and the api's requests.
   */
  latency: LatencyResult;
  /**
   * Posting faster than one worker goes, with the sweep eager (every second, stale after 2 s) and without it:
   * messages on the requests queue per transaction, and the time to drain.
   */
  overload: OverloadResult;
  /**
   * The runner of `npm start` (its own anvil) filled to each size of `sizes`, all confirmed: the admin's first
   * page, a fresh health read, a sweep, start-up after a kill (of the runner that made the fill) and then after
   * a clean stop, the data directory, and what it costs idle; `growth` is the largest size's figure over the
   * smallest's.
   */
  growth: GrowthResult;
  /**
   * The stack's CPU per transaction, POST to confirmed, under V8's profiler (every thread of its process),
   * split by what the sampled functions belong to: our handlers, the local runner, the AWS SDK, Node's HTTP
   * and sockets, viem, Powertools, zod, other libraries, Node and V8 themselves, GC, and the emulators.
   */
  cpu: CpuSplit;
  /** Wall-clock seconds each phase took (the ceiling, ..., growth), in the order they ran. */
  phaseSeconds: Record<string, number>;
  durationSeconds: number;
};

import type { CostEstimate } from './estimateCost.ts';
import type { BundleSize } from './measureBundles.ts';
import type { PerTransaction, TrackingAdds } from './perTransaction.ts';
import type { FaultsResult } from './runFaults.ts';
import type { SignersResult } from './runSigners.ts';
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
   * The signer pool on anvil with one-second blocks and 16 in flight per signer, each run on a chain and a
   * stack of its own, timed to mined: 1, 2 and 4 signers and the viem script with one key. `throughput`
   * (tx/s) and `ratios` are stable for scripts, as above.
   */
  signers: SignersResult;
  /**
   * Goodput through faulty RPC providers (10% of requests 503, 5% held): the viem script with one try, the
   * careful script, and the pipeline over two providers, each on a fresh chain read back for what landed,
   * what landed twice and what is stuck behind a nonce gap.
   */
  faults: FaultsResult;
  durationSeconds: number;
};

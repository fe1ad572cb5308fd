import { parseArgs as parse } from 'node:util';

/** What one run of the benchmark does. */
export type BenchOptions = {
  /** Transactions measured in each phase. */
  n: number;
  /** Requests in flight in each phase. */
  c: number;
  /** Transactions sent before each phase's clock starts (JIT, connections, the nonce counter's seed). */
  warmup: number;
  /** The JSON report's path, if any. */
  out: string | undefined;
  /** Leave `gas` out of the requests, so that the pipeline and the baseline estimate it. */
  estimateGas: boolean;
  quick: boolean;
  /** A folder for V8 CPU profiles of the stack's process (one per thread), if any. */
  cpuProf: string | undefined;
  /** The signers phase: rounds of 16 transactions per signer each of its runs times (after one untimed). */
  signerRounds: number;
  /** The faults phase: transfers each of its three senders makes, and how long a held request waits. */
  faultsN: number;
  holdMs: number;
  /** The latency phase: requests, one at a time, each side. */
  latencyN: number;
  /** The blocks phase: transactions each side, to mined and to depth. */
  blocksN: number;
  /** The overload phase: transactions posted into one worker, with the sweep and without. */
  overloadN: number;
  /** The growth phase: the numbers of transactions stored at which it measures, ascending. */
  growthSizes: number[];
  /** The CPU split: transactions profiled, POST to confirmed. */
  cpuN: number;
};

const usage = `npm run bench -- [--n 2000] [--c 32] [--warmup N] [--quick] [--estimate-gas] [--out results.json] [--cpu-prof DIR] [--signer-rounds 6]

  --n             transactions per phase (default 2000; --quick: 200)
  --c             requests in flight (default 32)
  --warmup        transactions sent before each phase is timed (default n/10, at most 200)
  --quick         a small run of every phase (the sizes below; the faults phase's three senders at once)
  --estimate-gas  omit gas from the requests: the pipeline and the baseline estimate it
  --out FILE      write the report as JSON to FILE
  --cpu-prof DIR  write V8 CPU profiles of the stack's process to DIR (open them in Chrome DevTools)
  --signer-rounds the signers phase (1-second blocks, 16 in flight per signer): each run times this many
                  rounds of 16 transactions per signer, after one untimed (default 6; --quick: 1)
  --faults-n      the faults phase (10% of RPC requests answered 503, 5% held): transfers per sender,
                  16 in flight (default 500; --quick: 48)
  --hold-ms       how long the faults phase's provider holds a request before forwarding it (default 12000)
  --latency-n     the latency phase (one in flight, POST to its 200 against the script's send): requests
                  each side (default 300; --quick: 40)
  --blocks-n      the blocks phase (1-second blocks, POST to mined and to depth 2 against the script's send
                  and receipt, 4 in flight each): transactions each side (default 60; --quick: 8)
  --overload-n    the overload phase (posting at --c into one worker taking one message at a time, the sweep
                  every second with rows stale after 2 s, then without the sweep): transactions per run
                  (default 3000; --quick: 100)
  --growth-sizes  the growth phase (the runner of npm start filled through the pipeline; at each size the
                  admin's first page, health, a sweep, restarts, the data directory): ascending sizes
                  (default 1000,10000; --quick: 100,300; the issue's 1000,10000,50000 takes about 15 minutes)
  --cpu-n         the CPU split (the stack under V8's profiler, POST to confirmed, its CPU per transaction by
                  what it went to): transactions (default 1000; --quick: 100)`;

const positive = (name: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${value}\n\n${usage}`);
  return n;
};

/** `--growth-sizes`: positive integers, comma-separated, ascending. */
const sizes = (value: string | undefined, fallback: number[]) => {
  if (value === undefined) return fallback;
  const list = value.split(',').map((part) => positive('growth-sizes', part.trim(), 0));
  if (list.some((n, i) => i > 0 && n <= (list[i - 1] ?? 0))) {
    throw new Error(`--growth-sizes must ascend, not ${value}\n\n${usage}`);
  }
  return list;
};

/** Reads the command line; `--help` prints the usage and exits. */
export function parseArgs(argv: string[]): BenchOptions {
  const { values } = parse({
    args: argv,
    options: {
      n: { type: 'string' },
      c: { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'signer-rounds': { type: 'string' },
      'faults-n': { type: 'string' },
      'hold-ms': { type: 'string' },
      'latency-n': { type: 'string' },
      'blocks-n': { type: 'string' },
      'overload-n': { type: 'string' },
      'growth-sizes': { type: 'string' },
      'cpu-n': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'estimate-gas': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const n = positive('n', values.n, quick ? 200 : 2000);
  return {
    n,
    c: positive('c', values.c, 32),
    warmup: values.warmup === '0' ? 0 : positive('warmup', values.warmup, Math.min(200, Math.ceil(n / 10))),
    out: values.out,
    estimateGas: values['estimate-gas'] ?? false,
    quick,
    cpuProf: values['cpu-prof'],
    signerRounds: positive('signer-rounds', values['signer-rounds'], quick ? 1 : 6),
    faultsN: positive('faults-n', values['faults-n'], quick ? 48 : 500),
    holdMs: positive('hold-ms', values['hold-ms'], 12_000),
    latencyN: positive('latency-n', values['latency-n'], quick ? 40 : 300),
    blocksN: positive('blocks-n', values['blocks-n'], quick ? 8 : 60),
    overloadN: positive('overload-n', values['overload-n'], quick ? 100 : 3000),
    growthSizes: sizes(values['growth-sizes'], quick ? [100, 300] : [1000, 10_000]),
    cpuN: positive('cpu-n', values['cpu-n'], quick ? 100 : 1000),
  };
}

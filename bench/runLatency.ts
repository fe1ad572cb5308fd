import { createWalletClient, type Hex, http } from 'viem';
import { nonceManager, privateKeyToAccount } from 'viem/accounts';
import { localChain, transferBody } from './benchHelpers.ts';
import { devAccountKey } from './devAccount.ts';
import { percentile } from './percentile.ts';
import type { BenchStack } from './startBenchStack.ts';

/** What the latency phase measured: one request at a time, the pipeline's answer against the script's send. */
export type LatencyResult = {
  n: number;
  /** `POST /transactions` with the default wait, to its `200` (the node took it), ms. */
  postP50: number;
  postP95: number;
  postP99: number;
  /** The viem script's `sendTransaction`, to its hash, ms. */
  scriptP50: number;
  scriptP95: number;
  scriptP99: number;
  /** What the pipeline adds to the script at the same percentile, ms. */
  addedP50: number;
  addedP99: number;
  /** Answers that were not `200` (still pending when the wait ran out, or refused). */
  notBroadcast: number;
  /** The api's table reads per transaction: the wait's re-reads of the row. */
  apiReadsPerTx: number;
  /** The api's AWS requests per transaction, all kinds. */
  apiRequestsPerTx: number;
  targets: { addedP50: { atMost: number; met: boolean }; addedP99: { atMost: number; met: boolean } };
};

export type LatencyOptions = { n: number; warmup: number; to: Hex; token: string };

/**
 * At low load (one request in flight): `n` `POST /transactions` waiting for their answer (the api's
 * default wait: `200` once the node took it) against `n` viem `sendTransaction` from dev account 3,
 * alternated one by one on the same chain, so both meet the same node and the same machine.
 */
export async function runLatency(stack: BenchStack, options: LatencyOptions): Promise<LatencyResult> {
  const chain = localChain(stack.chainId, stack.rpcUrl);
  const wallet = createWalletClient({
    account: privateKeyToAccount(devAccountKey(3), { nonceManager }),
    chain,
    transport: http(stack.rpcUrl),
  });
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  const body = transferBody(options.to);
  const posts: number[] = [];
  const sends: number[] = [];
  let notBroadcast = 0;

  const round = async (timed: boolean) => {
    let t0 = performance.now();
    await wallet.sendTransaction({ to: options.to, value: 1n, gas: 21_000n });
    const sent = performance.now() - t0;
    t0 = performance.now();
    const res = await fetch(`${stack.url}/transactions`, { method: 'POST', headers, body });
    await res.arrayBuffer();
    const answered = performance.now() - t0;
    if (!timed) return;
    sends.push(sent);
    posts.push(answered);
    if (res.status !== 200) notBroadcast++;
  };
  for (let i = 0; i < options.warmup; i++) await round(false);
  stack.reset();
  for (let i = 0; i < options.n; i++) await round(true);
  const { counts } = await stack.snapshot();
  const api = counts.aws.api ?? {};
  const all = Object.values(api).reduce((a, b) => a + b, 0);
  const addedP50 = percentile(posts, 50) - percentile(sends, 50);
  const addedP99 = percentile(posts, 99) - percentile(sends, 99);
  return {
    n: options.n,
    postP50: percentile(posts, 50),
    postP95: percentile(posts, 95),
    postP99: percentile(posts, 99),
    scriptP50: percentile(sends, 50),
    scriptP95: percentile(sends, 95),
    scriptP99: percentile(sends, 99),
    addedP50,
    addedP99,
    notBroadcast,
    apiReadsPerTx: (api['DynamoDB.GetItem'] ?? 0) / options.n,
    apiRequestsPerTx: all / options.n,
    targets: {
      addedP50: { atMost: 25, met: addedP50 <= 25 },
      addedP99: { atMost: 60, met: addedP99 <= 60 },
    },
  };
}

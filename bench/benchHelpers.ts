import { defineChain, type Hex } from 'viem';
import { inFlight } from './inFlight.ts';
import type { BenchStack } from './startBenchStack.ts';

/** The benchmark's two bearer tokens: a client's and an admin's. */
export type BenchTokens = { client: string; admin: string };

/** A local chain as viem sees it; `blockTimeSeconds` as viem's chain definitions say it (its clients poll at half). */
export function localChain(chainId: number, url: string, blockTimeSeconds?: number) {
  return defineChain({
    id: chainId,
    name: 'local',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
    ...(blockTimeSeconds === undefined ? {} : { blockTime: blockTimeSeconds * 1000 }),
  });
}

/**
 * The environment of a benchmark's stack: its data directory, its chain (`rpcUrl`: an anvil of the
 * benchmark's; empty: the runner starts its own, as `npm start` does), any port, the tokens, INFO logs;
 * and `more`, the phase's own settings.
 */
export function stackEnv(
  dataDir: string,
  rpcUrl: string,
  tokens: BenchTokens,
  more: Record<string, string> = {},
  chainId = 31337,
): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    RPC_URL: rpcUrl,
    CHAIN_ID: String(chainId),
    PORT: '0',
    API_TOKEN: tokens.client,
    ADMIN_TOKEN: tokens.admin,
    LOG_LEVEL: 'INFO',
    ...more,
  };
}

/** The request the phases post: a plain transfer of 1 wei to `to`, gas given. */
export const transferBody = (to: Hex) => JSON.stringify({ to, value: '1', gas: '21000' });

/**
 * Posts `count` transfers to `to` with `Prefer: respond-async`, `c` in flight; resolves with their ids
 * in order. A `POST` answered other than 202 throws: the phases that use this measure only what was taken.
 */
export async function postAsync(stack: BenchStack, token: string, to: Hex, count: number, c: number) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'respond-async' };
  const body = transferBody(to);
  const ids: string[] = [];
  await inFlight(c, count, async (i) => {
    const res = await fetch(`${stack.url}/transactions`, { method: 'POST', headers, body });
    const answer = (await res.json()) as { id?: string };
    if (res.status !== 202 || !answer.id) throw new Error(`POST /transactions answered ${res.status}`);
    ids[i] = answer.id;
  });
  return ids;
}

/**
 * What the stack says of `ids` (those not seen to reach where the phase waited for them): how many are in
 * each status, and one of them in full, for a phase's error to say where they stand.
 */
export async function describeUnfinished(stack: BenchStack, token: string, ids: string[]): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  const statuses = new Map<string, number>();
  let example: unknown;
  for (const id of ids.slice(0, 50)) {
    const res = await fetch(`${stack.url}/transactions/${id}`, { headers }).catch(() => undefined);
    const tx = res?.ok ? ((await res.json()) as { status: string; rawTx?: unknown }) : undefined;
    const status = tx?.status ?? `HTTP ${res?.status ?? 'no answer'}`;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (tx && example === undefined) example = { ...tx, rawTx: undefined };
  }
  return `statuses of the first ${Math.min(50, ids.length)}: ${JSON.stringify(Object.fromEntries(statuses))}; one: ${JSON.stringify(example)}`;
}

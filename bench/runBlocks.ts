import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, type Hex, http } from 'viem';
import { nonceManager, privateKeyToAccount } from 'viem/accounts';
import { startAnvil } from '../infra/local/emulators.ts';
import { type BenchTokens, localChain, stackEnv, transferBody } from './benchHelpers.ts';
import { devAccountKey } from './devAccount.ts';
import { inFlight } from './inFlight.ts';
import { percentile } from './percentile.ts';
import type { SignersResult } from './runSigners.ts';
import { startBenchStack } from './startBenchStack.ts';

/** What the blocks phase measured: on a chain with one-second blocks, how long to a block and to depth. */
export type BlocksResult = {
  n: number;
  c: number;
  blockTimeSeconds: number;
  /** The depth both sides wait for: the stack's CONFIRMATIONS, the script's `confirmations`. */
  confirmations: number;
  /** From sending the `POST` to the updater recording it in a block (`mined`, or `confirmed` if first), ms. */
  postToMinedP50: number;
  postToMinedP99: number;
  /** From sending the `POST` to the updater recording it `confirmed` at the depth, ms. */
  postToConfirmedP50: number;
  postToConfirmedP99: number;
  /** The viem script: from `sendTransaction` to `waitForTransactionReceipt`'s answer, ms. */
  scriptToReceiptP50: number;
  scriptToReceiptP99: number;
  /** The same, waiting for the receipt at the depth (`confirmations`), ms. */
  scriptToConfirmedP50: number;
  scriptToConfirmedP99: number;
  errors: number;
  targets: { minedP50: { atMostMs: number; met: boolean } };
  /** The signer pool's throughput on the same kind of chain (1, 2 and 4 signers, the one-key script). */
  signers: SignersResult;
};

export type BlocksOptions = { n: number; c: number; to: Hex; tokens: BenchTokens };

const blockTimeSeconds = 1;
const confirmations = 2;
const chainId = 31337;

/**
 * On anvil with one-second blocks and a stack at depth 2 (its tracker looking every second): `n` `POST`s
 * (`c` in flight) and, at the same time, `n` viem `sendTransaction` from dev account 5 each followed by
 * `waitForTransactionReceipt` (viem's polling for a 1 s chain), then by the receipt at depth 2. Each side's
 * time to a block and to depth.
 */
export async function runBlocks(options: BlocksOptions): Promise<Omit<BlocksResult, 'signers'>> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-blocks-'));
  const anvil = await startAnvil({ chainId, blockTime: blockTimeSeconds });
  try {
    const stack = await startBenchStack(
      stackEnv(dataDir, anvil.url, options.tokens, {
        CONFIRMATIONS: String(confirmations),
        TRACK_INTERVAL_SECONDS: '1',
      }),
    );
    try {
      const chain = localChain(chainId, anvil.url, blockTimeSeconds);
      const account = privateKeyToAccount(devAccountKey(5), { nonceManager });
      const wallet = createWalletClient({ account, chain, transport: http(anvil.url) });
      const client = createPublicClient({ chain, transport: http(anvil.url) });
      // When each was heard in a block and at depth; the waits for depth, by id (many at once).
      const minedAt = new Map<string, number>();
      const finalAt = new Map<string, number>();
      const waiting = new Map<string, () => void>();
      stack.onSuccess(({ id, at, status }) => {
        if (status === 'success') return;
        if (!minedAt.has(id)) minedAt.set(id, at);
        if (status !== 'final' || finalAt.has(id)) return;
        finalAt.set(id, at);
        waiting.get(id)?.();
      });
      const untilFinal = (id: string) =>
        new Promise<void>((resolve, reject) => {
          if (finalAt.has(id)) return resolve();
          const timer = setTimeout(() => reject(new Error(`${id} not confirmed after 60 s`)), 60_000);
          waiting.set(id, () => {
            clearTimeout(timer);
            waiting.delete(id);
            resolve();
          });
        });
      const headers = {
        authorization: `Bearer ${options.tokens.client}`,
        'content-type': 'application/json',
        prefer: 'respond-async',
      };
      const body = transferBody(options.to);
      const toMined: number[] = [];
      const toConfirmed: number[] = [];
      const toReceipt: number[] = [];
      const toDepth: number[] = [];
      let errors = 0;

      const viaPipeline = async () => {
        const sentAt = Date.now();
        const res = await fetch(`${stack.url}/transactions`, { method: 'POST', headers, body });
        const answer = (await res.json()) as { id?: string };
        if (res.status !== 202 || !answer.id) {
          errors++;
          return;
        }
        const { id } = answer;
        await untilFinal(id);
        toMined.push((minedAt.get(id) ?? 0) - sentAt);
        toConfirmed.push((finalAt.get(id) ?? 0) - sentAt);
      };
      const viaScript = async () => {
        const sentAt = Date.now();
        try {
          const hash = await wallet.sendTransaction({ to: options.to, value: 1n, gas: 21_000n });
          await client.waitForTransactionReceipt({ hash });
          toReceipt.push(Date.now() - sentAt);
          await client.waitForTransactionReceipt({ hash, confirmations });
          toDepth.push(Date.now() - sentAt);
        } catch {
          errors++;
        }
      };
      // One each untimed, then both sides at once: the same blocks for both.
      await Promise.all([viaPipeline(), viaScript()]);
      toMined.length = toConfirmed.length = toReceipt.length = toDepth.length = 0;
      errors = 0;
      await inFlight(options.c * 2, options.n * 2, (i) => (i % 2 === 0 ? viaPipeline() : viaScript()));
      const scriptToReceiptP50 = percentile(toReceipt, 50);
      const postToMinedP50 = percentile(toMined, 50);
      const atMostMs = scriptToReceiptP50 + blockTimeSeconds * 1000;
      return {
        n: options.n,
        c: options.c,
        blockTimeSeconds,
        confirmations,
        postToMinedP50,
        postToMinedP99: percentile(toMined, 99),
        postToConfirmedP50: percentile(toConfirmed, 50),
        postToConfirmedP99: percentile(toConfirmed, 99),
        scriptToReceiptP50,
        scriptToReceiptP99: percentile(toReceipt, 99),
        scriptToConfirmedP50: percentile(toDepth, 50),
        scriptToConfirmedP99: percentile(toDepth, 99),
        errors,
        targets: { minedP50: { atMostMs, met: postToMinedP50 <= atMostMs } },
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await anvil.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

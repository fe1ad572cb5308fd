/**
 * Anvil's pool can hold a transaction as `queued` although its nonce is the sender's next one, and then never
 * mine it (foundry-rs/foundry#10122; reproduced here on 1.7.1 with 16 senders of one key and concurrent
 * `eth_estimateGas` or `eth_getTransactionCount` calls: about one batch of 500 in ten stalls). The transaction
 * waits for a marker of the nonce below it that was already mined, so every later nonce of that key waits with
 * it, mining another block does not help, and re-sending the same bytes is refused as already imported. A real
 * node does not do this, and on a real chain the tracker would re-price what stays unmined for blocks; on an
 * automining chain no block comes at all. So the local chain mends it the way that works: the sender's pool is
 * emptied (`anvil_removePoolTransactions`) and the same signed bytes are sent again in nonce order, which the
 * pool then files as ready. A transaction is touched only when it was the lowest of its sender's queue, at or
 * below the mined nonce, on two looks in a row; a real gap (a nonce above the mined one missing) is left alone.
 * A sender that goes on sending while its bytes are read is read again, up to three times, and then mended
 * all the same (the bytes of what the last read showed read too): one that comes between the last read of
 * the pool and the emptying is dropped from the pool, and the tracker sends it again, as it does for any
 * transaction a node no longer holds. (Waiting for a quiet pool, as this watch did first, never mended a
 * pool a fill kept sending to: 22,736 stuck in the growth benchmark.)
 */

import { anvilRpc } from './anvilRpc.ts';

type PoolTx = { hash: string; nonce: string };
type Pool = { pending?: Record<string, Record<string, PoolTx>>; queued?: Record<string, Record<string, PoolTx>> };

export type PoolRepair = { sender: string; nonce: number; resent: number; refused: number };

const lowest = (byNonce: Record<string, PoolTx> | undefined): PoolTx | undefined =>
  Object.values(byNonce ?? {}).sort((a, b) => Number(BigInt(a.nonce) - BigInt(b.nonce)))[0];

/**
 * Watches one anvil's pool each `intervalMs` and mends what is stuck as described above. `stop` waits for a look
 * under way, which gives up before its next sender or its next transaction's bytes while it is still
 * reading (a mend begun is finished: its sender's pool emptied is sent again). A look that fails (the
 * chain paused or gone) is skipped.
 */
export function watchAnvilPool(
  url: string,
  options: { intervalMs?: number; onRepair?: (repair: PoolRepair) => void } = {},
): { stop(): Promise<void>; repairs: PoolRepair[] } {
  const intervalMs = options.intervalMs ?? 1000;
  // A look at a large pool takes seconds (its content, then each stuck transaction's bytes); none overlaps another.
  const rpc = anvilRpc(url, Math.max(30_000, intervalMs));
  const repairs: PoolRepair[] = [];
  let seen = new Map<string, string>();
  let running: Promise<void> | undefined;
  let stopped = false;

  const look = async () => {
    const status = (await rpc('txpool_status', [])) as { queued?: string };
    if (!status.queued || BigInt(status.queued) === 0n) {
      seen = new Map();
      return;
    }
    const pool = (await rpc('txpool_content', [])) as Pool;
    const now = new Map<string, string>();
    for (const [sender, byNonce] of Object.entries(pool.queued ?? {})) {
      if (stopped) return;
      const first = lowest(byNonce);
      if (!first) continue;
      const mined = BigInt((await rpc('eth_getTransactionCount', [sender, 'latest'])) as string);
      if (BigInt(first.nonce) > mined) continue; // a real gap: the nonce below it is missing
      if (seen.get(sender) !== first.hash) {
        now.set(sender, first.hash);
        continue;
      }
      // Each held transaction's bytes, by nonce; the pool read again for what the sender sent meanwhile, up
      // to three times, and the bytes of whatever the last read shows read too, so only what comes while
      // those last bytes are read is dropped.
      const raws = new Map<bigint, string>();
      const read = new Set<string>();
      let current = pool;
      for (let round = 0; ; round++) {
        const held = [
          ...Object.values(current.pending?.[sender] ?? {}),
          ...Object.values(current.queued?.[sender] ?? {}),
        ].filter((tx) => BigInt(tx.nonce) >= mined && !read.has(tx.hash));
        for (const tx of held) {
          if (stopped) return; // nothing changed yet: a stop need not wait for the whole read
          read.add(tx.hash);
          const raw = (await rpc('eth_getRawTransactionByHash', [tx.hash])) as string | null;
          if (raw) raws.set(BigInt(tx.nonce), raw);
        }
        if (held.length === 0 || round === 3) break;
        current = (await rpc('txpool_content', [])) as Pool;
      }
      if (stopped) return;
      await rpc('anvil_removePoolTransactions', [sender]);
      let refused = 0;
      const inOrder = [...raws].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, raw]) => raw);
      for (const raw of inOrder) await rpc('eth_sendRawTransaction', [raw]).catch(() => refused++);
      const repair = { sender, nonce: Number(mined), resent: inOrder.length - refused, refused };
      repairs.push(repair);
      options.onRepair?.(repair);
    }
    seen = now;
  };

  const timer = setInterval(() => {
    if (running || stopped) return;
    running = look()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();

  return {
    repairs,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

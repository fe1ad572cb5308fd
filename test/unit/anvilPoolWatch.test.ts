import { afterEach, describe, expect, it } from 'vitest';
import { watchAnvilPool } from '../../infra/local/anvilPool.ts';
import { startServer } from './fakes/httpServer.ts';

// The pool watch of the local chain (infra/local/anvilPool.ts) against a node that answers as anvil does
// while a sender goes on sending: each read of the pool shows one transaction more. The stuck pool is
// emptied and sent again; what the watch last saw of the pool before emptying it must be sent again too,
// or those nonces wait behind a gap until the tracker notices.

const sender = '0x00000000000000000000000000000000000000aa';
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A node whose pool holds `sender`'s nonces 1.. as queued (mined: 1), one more at each read once the watch has looked twice. */
async function sendingNode(options: { readMs?: number; grow?: boolean } = {}) {
  let pool: number[] = [1];
  let reads = 0;
  let lastRead: number[] = [];
  const removed: number[][] = [];
  const resent: number[] = [];
  const result = (method: string, params: unknown[]): unknown => {
    const content = () => ({
      queued: {
        [sender]: Object.fromEntries(pool.map((n) => [String(n), { hash: `0xh${n}`, nonce: `0x${n.toString(16)}` }])),
      },
    });
    switch (method) {
      case 'txpool_status':
        return { pending: '0x0', queued: `0x${pool.length.toString(16)}` };
      case 'txpool_content':
        if (++reads > 2 && options.grow !== false) pool = [...pool, pool.length + 1];
        lastRead = [...pool];
        return content();
      case 'eth_getTransactionCount':
        return '0x1';
      case 'eth_getRawTransactionByHash':
        return `0xraw${String(params[0]).slice(3)}`;
      case 'anvil_removePoolTransactions':
        removed.push(lastRead);
        pool = [];
        return null;
      case 'eth_sendRawTransaction':
        resent.push(Number(String(params[0]).slice(5)));
        return `0xh${String(params[0]).slice(5)}`;
      default:
        throw new Error(`unexpected ${method}`);
    }
  };
  const server = await startServer(async (res, seen) => {
    const { method, params } = JSON.parse(seen.body) as { method: string; params: unknown[] };
    if (method === 'eth_getRawTransactionByHash' && options.readMs)
      await new Promise((r) => setTimeout(r, options.readMs));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: result(method, params) }));
  });
  stops.push(() => server.stop());
  return {
    url: `http://127.0.0.1:${server.port}`,
    removed,
    resent,
    seen: server.seen,
    fill: (n: number) => {
      pool = Array.from({ length: n }, (_, i) => i + 1);
    },
  };
}

describe('the pool watch', () => {
  it('sends again every transaction its last read of the pool showed, in nonce order', async () => {
    // prepare
    const node = await sendingNode();
    // act: two looks find the same lowest queued transaction at the mined nonce, and the second mends it
    const watch = watchAnvilPool(node.url, { intervalMs: 50 });
    stops.push(() => watch.stop());
    while (watch.repairs.length === 0) await new Promise((r) => setTimeout(r, 20));
    await watch.stop();
    // assess: the pool grew while it was read, and what the last read before the emptying showed was resent
    const [lastSeen = []] = node.removed;
    expect(lastSeen.length).toBeGreaterThan(2);
    expect(node.resent).toEqual(lastSeen);
    expect(watch.repairs).toEqual([{ sender, nonce: 1, resent: lastSeen.length, refused: 0 }]);
  });

  it('a stop while a large pool is read ends the look before it empties anything', async () => {
    // prepare: 200 stuck, each one's bytes 50 ms to read (10 s for the whole mend)
    const node = await sendingNode({ readMs: 50, grow: false });
    node.fill(200);
    const watch = watchAnvilPool(node.url, { intervalMs: 50 });
    stops.push(() => watch.stop());
    while (!node.seen.some((s) => s.body.includes('eth_getRawTransactionByHash')))
      await new Promise((r) => setTimeout(r, 20));
    // act
    await watch.stop();
    // assess: the look gave up while reading, so the pool was left as it was, and nothing was sent
    const reads = node.seen.filter((s) => s.body.includes('eth_getRawTransactionByHash')).length;
    expect(reads).toBeLessThan(200);
    expect(node.removed).toEqual([]);
    expect(node.resent).toEqual([]);
    expect(watch.repairs).toEqual([]);
  });
});

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the proxy does with one request: answer 503 itself, forward it after `holdMs`, or forward it. */
export type Fate = 'fail' | 'hold' | 'pass';

export type FaultPlan = {
  /** The share of requests answered 503 without reaching the node. */
  failRate: number;
  /** The share of requests held `holdMs` before they are forwarded (the node still gets them). */
  holdRate: number;
  holdMs: number;
  /** Requests draw their fates from this seed in the order they arrive, so a run repeats. */
  seed: number;
  /** Fates for the first requests, before the seeded draw (a test's exact sequence). */
  first?: Fate[];
};

export type FaultProxy = {
  url: string;
  /** Requests by fate, and the JSON-RPC methods of the ones forwarded (in arrival order). */
  counts: Record<Fate, number>;
  forwarded: string[];
  stop(): Promise<void>;
};

/** mulberry32: a small seeded generator, enough to make a fault sequence repeat. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The methods of a JSON-RPC body, one or a batch; none when it is not JSON-RPC. */
function methodsOf(body: Buffer): string[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as unknown;
    const calls = Array.isArray(json) ? json : [json];
    return calls.map((c) => String((c as { method?: unknown }).method ?? '?'));
  } catch {
    return [];
  }
}

/**
 * An RPC provider that fails the way providers do, in front of `target` (an anvil): a share of requests
 * answered 503 and a share held before they are forwarded (a held `eth_sendRawTransaction` still reaches
 * the node, after the caller has timed out), drawn from a seed. The bench's faults phase and the tests of
 * several RPC URLs put it between the service and the chain.
 */
export async function startFaultProxy(target: string, plan: FaultPlan): Promise<FaultProxy> {
  const draw = seeded(plan.seed);
  const first = [...(plan.first ?? [])];
  const counts: Record<Fate, number> = { fail: 0, hold: 0, pass: 0 };
  const forwarded: string[] = [];
  const stopping = new AbortController();
  const proxy: FaultProxy = {
    url: '',
    counts,
    forwarded,
    async stop() {
      stopping.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const fateOf = (): Fate => {
    const scripted = first.shift();
    if (scripted) return scripted;
    const x = draw();
    if (x < plan.failRate) return 'fail';
    if (x < plan.failRate + plan.holdRate) return 'hold';
    return 'pass';
  };
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const fate = fateOf();
      counts[fate]++;
      if (fate === 'fail') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
        return;
      }
      if (fate === 'hold') await sleep(plan.holdMs, undefined, { signal: stopping.signal });
      forwarded.push(...methodsOf(body));
      const answer = await fetch(target, {
        method: req.method ?? 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        signal: stopping.signal,
        ...(req.method === 'GET' ? {} : { body }),
      });
      const text = Buffer.from(await answer.arrayBuffer());
      // The caller may have given up on a held request; the node has its answer all the same.
      if (!res.destroyed) {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      }
    } catch {
      if (!res.headersSent && !res.destroyed) res.writeHead(502).end();
      else res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

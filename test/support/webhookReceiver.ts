import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got: its headers and body, and whether the Standard Webhooks library verified it. */
export type Received = {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
  error?: string;
  /** When it arrived, and (for one held open) when the sender gave up on it. */
  at: number;
  closedAt?: number;
};

/** A delivery's body: a transaction's event (what these tests read of it). */
export type ReceivedEvent = {
  type: string;
  timestamp: string;
  data: { sequence: number; transaction: { id: string; status: string; message: string } };
};

/** How a receiver answers request `n` (from 1) of one webhook-id: a status, or hold the connection open. */
export type Answer = (n: number, got: Received) => number | { status: number; location?: string } | 'hang';

/**
 * A webhook receiver on 127.0.0.1, as a client would run one: it verifies every request with the
 * Standard Webhooks library from npm (not our code) under `secret`, records it, and answers as `answer`
 * says (204 unless told otherwise).
 */
export async function startReceiver(secret: string, answer: Answer = () => 204) {
  const got: Received[] = [];
  const seen = new Map<string, number>();
  const hanging: ServerResponse[] = [];
  const verifier = new Webhook(secret);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received: Received = { headers: req.headers, body, verified: false, at: Date.now() };
      try {
        verifier.verify(body, req.headers as Record<string, string>);
        received.verified = true;
      } catch (error) {
        received.error = (error as Error).message;
      }
      got.push(received);
      const id = String(req.headers['webhook-id']);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const a = answer(n, received);
      if (a === 'hang') {
        hanging.push(res);
        res.on('close', () => {
          received.closedAt = Date.now();
        });
        return;
      }
      const { status, location } = typeof a === 'number' ? { status: a, location: undefined } : a;
      res.writeHead(status, location ? { location } : {});
      res.end(status >= 400 ? 'receiver says no' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    got,
    /** The bodies it got, parsed, in order. */
    events: () => got.map((g) => JSON.parse(g.body) as ReceivedEvent),
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

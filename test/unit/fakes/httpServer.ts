import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a test server got, as it arrived. */
export type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

/**
 * A plain HTTP server on 127.0.0.1 that records every request it gets and lets `answer` reply to it
 * (204 unless told otherwise; an answer that never ends the response holds the connection open).
 */
export async function startServer(
  answer: (res: ServerResponse, seen: Seen) => void = (res) => res.writeHead(204).end(),
) {
  const seen: Seen[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(got);
      open.add(res);
      res.on('close', () => open.delete(res));
      answer(res, got);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks`,
    seen,
    async stop() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
export type TestServer = Awaited<ReturnType<typeof startServer>>;

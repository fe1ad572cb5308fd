import { readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpApiRoutes } from '../../functions/lib/api/routeTable.ts';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { PayloadTooLargeError, UnauthorizedError } from '../../functions/lib/errors/errors.ts';
import { maxBodyBytes } from '../../functions/lib/http/readJsonBody.ts';
import { toErrorResponse } from '../../functions/lib/http/toErrorResponse.ts';
import { createEdgeAuth } from '../../infra/local/createEdgeAuth.ts';
import { type EdgeSettings, serveHttpApi } from '../../infra/local/serveHttpApi.ts';
import { type Runner, startRunner, tempDataDir } from '../support/runner.ts';
import { testTokens, tokenEnv } from '../support/tokens.ts';

/**
 * The local runner's edge (infra/local/serveHttpApi.ts), which stands in for API Gateway: the token is
 * checked from the headers before any body is read, a body is capped at the api's limit while it is
 * read, and slow or idle clients and too many connections are cut off. Each finding of issue 13 is
 * reproduced against a small fake handler that counts its invocations, and the first once more against
 * the real runner, whose memory is read from /proc.
 */

const kib = 1024;
const mib = 1024 * kib;
const authorize = createEdgeAuth(loadConfig({ ...tokenEnv, LOG_LEVEL: 'SILENT' }));

type Edge = { url: string; server: Server; calls: () => number; bytesRead: () => number; stop(): Promise<void> };

/** serveHttpApi in this process in front of a fake api that counts its calls and echoes its body's size. */
async function startEdge(settings: Partial<EdgeSettings> = {}): Promise<Edge> {
  let calls = 0;
  const handler = async (event: APIGatewayProxyEventV2) => {
    calls += 1;
    return { statusCode: 200, body: JSON.stringify({ bodyBytes: Buffer.byteLength(event.body ?? '') }) };
  };
  const { server, url } = await serveHttpApi(handler, '127.0.0.1', 0, { authorize, settings });
  const sockets: Socket[] = [];
  server.on('connection', (socket: Socket) => sockets.push(socket));
  return {
    url,
    server,
    calls: () => calls,
    // What the server took off its sockets, closed ones included: the bytes it may have buffered.
    bytesRead: () => sockets.reduce((sum, s) => sum + s.bytesRead, 0),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Exchange = { status: number | undefined; text: string; closed: boolean; ms: number };

/**
 * One request on a fresh connection, written raw so that nothing reads ahead or retries: `head`, then
 * `body`, or `trickle` (one byte per interval until the server closes). Resolves once the server
 * closed the connection, or after `waitMs` with `closed: false`.
 */
function exchange(
  url: string,
  head: string,
  options: { body?: Buffer; trickleMs?: number; waitMs?: number } = {},
): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let trickle: NodeJS.Timeout | undefined;
    const socket = connect(Number(port), hostname);
    const finish = (closed: boolean) => {
      clearInterval(trickle);
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const status = text.match(/^HTTP\/1\.1 (\d{3})/)?.[1];
      resolve({ status: status ? Number(status) : undefined, text, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5000);
    socket.on('connect', () => {
      if (head) socket.write(head);
      if (options.body) socket.write(options.body);
      if (options.trickleMs) trickle = setInterval(() => socket.write('x'), options.trickleMs);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that closes on a client still writing resets the connection: what it answered was read.
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

/** A request's head, as a client writes it. */
function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ host: 'local', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** The JSON body of an answer, sent whole (Content-Length) or in chunks. */
function bodyOf(text: string): unknown {
  const at = text.indexOf('\r\n\r\n');
  let rest = text.slice(at + 4);
  if (!/\r\ntransfer-encoding: chunked\r\n/i.test(text.slice(0, at + 2))) return JSON.parse(rest);
  let body = '';
  for (let size = Number.parseInt(rest, 16); size > 0; size = Number.parseInt(rest, 16)) {
    const start = rest.indexOf('\r\n') + 2;
    body += rest.slice(start, start + size);
    rest = rest.slice(start + size + 2);
  }
  return JSON.parse(body);
}

const asClient = { authorization: `Bearer ${testTokens.client}`, 'content-type': 'application/json' };
const unauthorized = toErrorResponse(new UnauthorizedError(false));
const tooLarge = toErrorResponse(new PayloadTooLargeError(maxBodyBytes));

/** Samples `rss` every few milliseconds while `work` runs; the growth of its peak over the first sample. */
async function peakGrowth(rss: () => number, work: () => Promise<unknown>): Promise<number> {
  const baseline = rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rss()) - baseline;
}

// 100 bodies the edge must not buffer: 100 MB when it reads them, as the issue saw (10 MB each: +675 MB).
// Refused unread, the server holds at most a socket read or two (64 KiB each) per connection: a few MB.
// 50 MB sits between the two with room for the allocator's noise.
const burst = { requests: 100, bodyBytes: mib, maxGrowthBytes: 50 * mib };

/** `burst.requests` POSTs of `body` to /transactions at once, without a token, each sending its whole body. */
function unauthenticatedBurst(url: string, body: Buffer, waitMs = 5000): Promise<Exchange[]> {
  return Promise.all(
    Array.from({ length: burst.requests }, () =>
      exchange(url, head('POST', '/transactions', { 'content-length': body.length }), { body, waitMs }),
    ),
  );
}

let edge: Edge | undefined;
afterEach(async () => {
  await edge?.stop();
  edge = undefined;
});

describe('the token is checked from the headers, before any body is read', () => {
  it('100 unauthenticated 1 MB POSTs: 401 each, the api never called, the bodies never read', async () => {
    edge = await startEdge();
    const on = edge;
    const body = Buffer.alloc(burst.bodyBytes, 'a');

    let answers: Exchange[] = [];
    const growth = await peakGrowth(
      () => process.memoryUsage.rss(),
      async () => {
        answers = await unauthenticatedBurst(on.url, body);
      },
    );

    // Each client read its answer though it went on sending, and the server closed the connection.
    expect(answers.map((a) => [a.status, a.closed])).toEqual(answers.map(() => [401, true]));
    expect(bodyOf(answers[0]?.text ?? '')).toEqual(JSON.parse(unauthorized.body ?? ''));
    expect(answers[0]?.text).toMatch(/\r\nwww-authenticate: Bearer\r\n/i);
    expect(answers[0]?.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(on.calls()).toBe(0);
    // Each connection's head and what node reads ahead while the token is checked (two 64 KiB socket
    // reads, held back by the stream's backpressure): 12.8 MB in all, where reading the bodies is 100 MB.
    expect(on.bytesRead()).toBeLessThan(burst.requests * 192 * kib);
    // Before the fix: +87 MB in this process; after: about 13 MB.
    expect(growth, `peak RSS grew ${(growth / mib).toFixed(1)} MB`).toBeLessThan(burst.maxGrowthBytes);
  });

  it('every route of the table that needs a token is refused without one; open routes and unknown paths go on', async () => {
    const event = (method: string, path: string, headers: Record<string, string> = {}) =>
      ({ headers, requestContext: { http: { method, path } } }) as unknown as APIGatewayProxyEventV2;
    for (const route of httpApiRoutes) {
      const path = route.path.replace(/\{[^}]+\}/g, 'tx_1');
      const refusal = await authorize(event(route.method, path));
      if (route.access === 'none') expect(refusal, `${route.method} ${path}`).toBeUndefined();
      else expect(refusal?.statusCode, `${route.method} ${path}`).toBe(401);
    }
    expect((await authorize(event('GET', '/transactions/tx_1/')))?.statusCode).toBe(401);
    expect((await authorize(event('GET', '/transactions', { authorization: 'Bearer nope-nope' })))?.headers).toEqual(
      expect.objectContaining({ 'www-authenticate': 'Bearer error="invalid_token"' }),
    );
    expect((await authorize(event('GET', '/transactions', asClient)))?.statusCode).toBe(403);
    expect(await authorize(event('POST', '/transactions', asClient))).toBeUndefined();
    expect(await authorize(event('GET', '/nowhere'))).toBeUndefined();
    expect(await authorize(event('DELETE', '/transactions'))).toBeUndefined();
  });
});

it('a client that asks `Expect: 100-continue` is refused before it is told to send its body', async () => {
  edge = await startEdge();
  const refused = await exchange(
    edge.url,
    head('POST', '/transactions', { 'content-length': mib, expect: '100-continue' }),
    { waitMs: 2000 },
  );
  expect(refused.status).toBe(401);
  expect(refused.text).not.toMatch(/100 Continue/);
  const allowed = await exchange(
    edge.url,
    head('POST', '/transactions', { ...asClient, 'content-length': 2, expect: '100-continue', connection: 'close' }),
    { body: Buffer.from('{}'), waitMs: 2000 },
  );
  expect(allowed.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  expect(edge.calls()).toBe(1);
});

describe('a body is capped at the api limit while it is read', () => {
  it('a Content-Length over 128 KiB with a valid token: 413 before the body is read', async () => {
    edge = await startEdge();
    const body = Buffer.alloc(mib, 'a');
    const answer = await exchange(edge.url, head('POST', '/transactions', { ...asClient, 'content-length': mib }), {
      body,
    });
    expect(answer.status).toBe(413);
    expect(bodyOf(answer.text)).toEqual(JSON.parse(tooLarge.body ?? ''));
    expect(answer.closed).toBe(true);
    expect(edge.calls()).toBe(0);
    expect(edge.bytesRead()).toBeLessThan(maxBodyBytes);
  });

  it('a chunked body over 128 KiB with a valid token: 413 once the limit is read, the rest unread', async () => {
    edge = await startEdge();
    const data = Buffer.alloc(4 * mib, 'a');
    const body = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')]);
    const answer = await exchange(
      edge.url,
      head('POST', '/transactions', { ...asClient, 'transfer-encoding': 'chunked' }),
      { body },
    );
    expect(answer.status).toBe(413);
    expect(bodyOf(answer.text)).toEqual(JSON.parse(tooLarge.body ?? ''));
    expect(answer.closed).toBe(true);
    expect(edge.calls()).toBe(0);
    // Of its 4 MB: the limit and the socket read (64 KiB) that crossed it, then what node reads ahead
    // into the paused request's stream before its backpressure stops the socket (two more reads, held
    // until the connection closes), and the head: 315 KiB.
    expect(edge.bytesRead()).toBeLessThan(maxBodyBytes + 4 * 64 * kib + kib);
  });

  it('a body of exactly 128 KiB reaches the api whole', async () => {
    edge = await startEdge();
    const body = Buffer.alloc(maxBodyBytes, 'a');
    const answer = await exchange(
      edge.url,
      head('POST', '/transactions', { ...asClient, 'content-length': body.length, connection: 'close' }),
      { body },
    );
    expect(answer.status).toBe(200);
    expect(bodyOf(answer.text)).toEqual({ bodyBytes: maxBodyBytes });
    expect(edge.calls()).toBe(1);
  });
});

describe('slow and idle clients are cut off', () => {
  const settings = { headersTimeoutMs: 500, requestTimeoutMs: 1000, keepAliveTimeoutMs: 300, checkIntervalMs: 100 };

  it('a client that connects and sends nothing: closed after the headers timeout', async () => {
    edge = await startEdge(settings);
    const answer = await exchange(edge.url, '', { waitMs: 3000 });
    expect(answer.closed).toBe(true);
    expect(answer.ms).toBeGreaterThanOrEqual(settings.headersTimeoutMs - 50);
    expect(answer.ms).toBeLessThan(settings.headersTimeoutMs + 4 * settings.checkIntervalMs + 500);
  });

  it('a client that trickles its head: closed after the headers timeout', async () => {
    edge = await startEdge(settings);
    const answer = await exchange(edge.url, 'POST /transactions HTTP/1.1\r\nx-slow: ', {
      trickleMs: 50,
      waitMs: 3000,
    });
    expect(answer.closed).toBe(true);
    expect(answer.ms).toBeLessThan(settings.headersTimeoutMs + 4 * settings.checkIntervalMs + 500);
  });

  it('a client that trickles its body: cut off after the request timeout, the api never called', async () => {
    edge = await startEdge(settings);
    const answer = await exchange(edge.url, head('POST', '/transactions', { ...asClient, 'content-length': 1000 }), {
      trickleMs: 50,
      waitMs: 4000,
    });
    expect(answer.closed).toBe(true);
    expect(answer.ms).toBeGreaterThanOrEqual(settings.requestTimeoutMs - 50);
    expect(answer.ms).toBeLessThan(settings.requestTimeoutMs + 4 * settings.checkIntervalMs + 500);
    expect(edge.calls()).toBe(0);
  });

  it('an idle keep-alive connection: closed after the keep-alive timeout', async () => {
    edge = await startEdge(settings);
    const answer = await exchange(edge.url, head('GET', '/health'), { waitMs: 3000 });
    expect(answer.status).toBe(200);
    expect(answer.closed).toBe(true);
    // Node keeps the socket `keepAliveTimeoutBuffer` (1 s) past the timeout it announces to the client.
    expect(answer.ms).toBeLessThan(settings.keepAliveTimeoutMs + (edge.server.keepAliveTimeoutBuffer ?? 0) + 500);
    expect(edge.calls()).toBe(1);
  });
});

it('without test settings, the edge has the limits the README documents', async () => {
  // The tests above shorten the limits to see them act; this pins the ones the runner serves with.
  edge = await startEdge();
  const { server } = edge;
  expect({
    headersTimeout: server.headersTimeout,
    requestTimeout: server.requestTimeout,
    keepAliveTimeout: server.keepAliveTimeout,
    maxConnections: server.maxConnections,
    maxBodyBytes,
  }).toEqual({
    headersTimeout: 10_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    maxConnections: 256,
    maxBodyBytes: 128 * kib,
  });
});

describe('the connection cap', () => {
  it('a connection past the cap is dropped unanswered; once one closes, a new one is served', async () => {
    edge = await startEdge({ maxConnections: 3 });
    const on = edge;
    const held = Array.from({ length: 3 }, () => connect(Number(new URL(on.url).port), '127.0.0.1'));
    const connections = () =>
      new Promise<number>((resolve, reject) => on.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    try {
      for (let i = 0; (await connections()) < 3 && i < 100; i++) await sleep(10);
      expect(await connections()).toBe(3);

      const past = await exchange(on.url, head('GET', '/health'), { waitMs: 2000 });
      expect(past.closed).toBe(true);
      expect(past.text).toBe('');
      expect(on.calls()).toBe(0);

      held[0]?.destroy();
      for (let i = 0; (await connections()) > 2 && i < 100; i++) await sleep(10);
      const next = await exchange(on.url, head('GET', '/health', { connection: 'close' }), { waitMs: 2000 });
      expect(next.status).toBe(200);
      expect(on.calls()).toBe(1);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

/** The pid of the runner this process started in `dataDir` (its only runner with that data directory). */
function runnerPid(dataDir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`DATA_DIR=${dataDir}`)) return Number(entry);
    } catch {
      // A process that ended while this looked, or someone else's.
    }
  }
  throw new Error(`no runner of this process uses ${dataDir}`);
}

/** A process's resident memory, from /proc/<pid>/status (VmRSS, in kB). */
function rssOf(pid: number): number {
  const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

describe('the real runner (npm start)', () => {
  let runner: Runner;
  let dataDir: string;
  let pid: number;

  beforeAll(async () => {
    dataDir = tempDataDir();
    runner = await startRunner({ DATA_DIR: dataDir });
    pid = runnerPid(dataDir);
  });

  afterAll(async () => {
    await runner?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('100 unauthenticated 10 MB POSTs: 401 each, its memory grows less than 50 MB', async () => {
    const body = Buffer.alloc(10 * mib, 'a');
    let answers: Exchange[] = [];
    const growth = await peakGrowth(
      () => rssOf(pid),
      async () => {
        answers = await unauthenticatedBurst(runner.url, body, 30_000);
      },
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 401));
    expect(bodyOf(answers[0]?.text ?? '')).toEqual(JSON.parse(unauthorized.body ?? ''));
    // Before the fix: +675 MB (the runner read and kept every body); after: about 11 MB.
    expect(growth, `the runner's peak RSS grew ${(growth / mib).toFixed(1)} MB`).toBeLessThan(burst.maxGrowthBytes);
  });

  it('a 1 MB body with a valid token: 413 in the api error shape', async () => {
    const answer = await exchange(runner.url, head('POST', '/transactions', { ...asClient, 'content-length': mib }), {
      body: Buffer.alloc(mib, 'a'),
    });
    expect(answer.status).toBe(413);
    expect(bodyOf(answer.text)).toEqual(JSON.parse(tooLarge.body ?? ''));
  });
});

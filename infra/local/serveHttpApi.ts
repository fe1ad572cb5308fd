import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { PayloadTooLargeError } from '../../functions/lib/errors/errors.ts';
import { maxBodyBytes } from '../../functions/lib/http/readJsonBody.ts';
import { toErrorResponse } from '../../functions/lib/http/toErrorResponse.ts';
import type { EdgeAuth } from './createEdgeAuth.ts';

export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * What API Gateway bounds in front of the api, and this adapter in its place. On AWS the gateway
 * does all of this itself; here a client must not be able to hold the process's memory or sockets.
 */
export const edgeSettings = {
  // The api refuses a larger body (readJsonBody.ts); API Gateway's own limit (10 MB) is far above it,
  // so reading past this would only buffer what is refused anyway.
  maxBodyBytes,
  // A well-behaved client sends its head at once; 10 s covers a slow link, not a client that stalls.
  headersTimeoutMs: 10_000,
  // API Gateway gives up on an integration at 30 s (the api waits 25 s at most): no request's upload
  // may take longer. This also cuts off a body that trickles in.
  requestTimeoutMs: 30_000,
  // An idle keep-alive connection holds one of the slots below; node's default (5 s) is kept: clients
  // that reuse connections (fetch) read it from the Keep-Alive header, and node closes the socket
  // 1 s after it (keepAliveTimeoutBuffer), so a reuse never races the close.
  keepAliveTimeoutMs: 5_000,
  // How often node looks for connections past the two timeouts above (its default, 30 s, would let a
  // 10 s limit run to 40 s).
  checkIntervalMs: 1_000,
  // How long a refused request's connection stays half-closed, unread, before it is destroyed: time
  // for a client still sending its body to read the answer (see refuse()).
  closeGraceMs: 2_000,
  // Beyond this many open connections node drops new ones: one person's runner, a benchmark's few
  // dozen clients, far below the process's file descriptors.
  maxConnections: 256,
};

export type EdgeSettings = typeof edgeSettings;

export type ServeOptions = {
  /** Refuses a request from its head alone, before any body is read (the api's access check). */
  authorize?: EdgeAuth;
  /** Smaller limits, for tests. */
  settings?: Partial<EdgeSettings>;
};

const internalError = JSON.stringify({ error: { code: 'internal_error', message: 'internal error', details: [] } });

const textTypes = /^(application\/([a-z.+-]*\+)?json|text\/|application\/x-www-form-urlencoded)/i;

/**
 * Reads the body, `limit` bytes at most: past that it stops reading (the rest stays unread, the
 * connection is closed after the answer) and answers undefined. Rejects when the client goes away.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before its body ended'));
    });
  });
}

/** The request's headers as API Gateway hands them on: names in lower case, repeated values joined. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

/**
 * Builds the API Gateway HTTP API (payload 2.0) event for one request, as API Gateway does, without
 * its body: what is known once the head arrived.
 */
function toEvent(req: IncomingMessage): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers = headersOf(req);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

/** The event with its body: text as it came, anything else base64, as API Gateway encodes it. */
function withBody(event: APIGatewayProxyEventV2, body: Buffer): APIGatewayProxyEventV2 {
  if (body.length === 0) return event;
  const isText = textTypes.test(event.headers['content-type'] ?? '');
  return { ...event, body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText };
}

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:api',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A handler's result as node writes it: status, headers (cookies as `set-cookie`) and the body's bytes. */
function toAnswer(result: APIGatewayProxyResultV2): {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
} {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? result
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? null) };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(structured.headers ?? {})) headers[k] = String(v);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const body = Buffer.from(structured.body ?? '', structured.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  return { status: structured.statusCode ?? 200, headers, body };
}

/** Answers a request whose body was read whole; the connection may be kept for the next request. */
function send(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  const answer = toAnswer(result);
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/**
 * Answers a request whose body is not read (refused, or too large) and closes the connection without
 * reading the rest. The answer goes out and this side is closed (FIN); the socket is destroyed only
 * after `graceMs` (or when the client closes first): destroyed at once with bytes unread, it would be
 * reset, and a client still sending would lose the answer (RFC 9112, 9.6). Meanwhile nothing is read,
 * so TCP holds the client back and nothing is buffered here. `res.end()` is not called, since node
 * would then destroy the socket as soon as the answer is flushed: the answer is whole by its
 * Content-Length.
 */
function refuse(req: IncomingMessage, res: ServerResponse, result: APIGatewayProxyResultV2, graceMs: number): void {
  const answer = toAnswer(result);
  res.writeHead(answer.status, { ...answer.headers, connection: 'close' });
  res.write(answer.body);
  const socket = req.socket;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), graceMs);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Serves an HTTP API handler over plain HTTP, translating each request to a v2 event and back, with
 * API Gateway's part in front of it: `authorize` refuses from the head alone, a body is read up to
 * the api's limit and no further, and slow clients and too many connections are cut off.
 */
export async function serveHttpApi(
  handler: HttpApiHandler,
  host: string,
  port: number,
  options: ServeOptions = {},
): Promise<{ server: Server; url: string }> {
  const limits = { ...edgeSettings, ...options.settings };
  const tooLarge = toErrorResponse(new PayloadTooLargeError(limits.maxBodyBytes));

  async function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    try {
      const event = toEvent(req);
      // A refused request is answered from its head; its body is never read, and the connection is closed
      // so that the client cannot go on sending it.
      const refusal = await options.authorize?.(event);
      if (refusal) return refuse(req, res, refusal, limits.closeGraceMs);
      if (Number(event.headers['content-length'] ?? 0) > limits.maxBodyBytes) {
        return refuse(req, res, tooLarge, limits.closeGraceMs);
      }
      if (expectsContinue) res.writeContinue();
      const body = await readBody(req, limits.maxBodyBytes);
      if (!body) return refuse(req, res, tooLarge, limits.closeGraceMs);
      send(res, await handler(withBody(event, body), lambdaContext()));
    } catch {
      // API Gateway answers 500 when the integration itself fails; so does this (unless the client is gone).
      if (res.headersSent || res.destroyed) return void res.end();
      send(res, { statusCode: 500, headers: { 'content-type': 'application/json' }, body: internalError });
    }
  }

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    (req, res) => void handle(req, res, false),
  );
  // Without this listener node answers `Expect: 100-continue` itself, before the token is checked.
  server.on('checkContinue', (req, res) => void handle(req, res, true));
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the HTTP server did not listen');
  return { server, url: `http://${host}:${address.port}` };
}

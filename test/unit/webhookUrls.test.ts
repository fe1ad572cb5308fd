import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  addressProblem,
  type Lookup,
  lookupTimeoutMs,
  resolveCallbackUrl,
  type UrlPolicy,
  UrlRefusedError,
} from '../../functions/lib/webhooks/checkCallbackUrl.ts';
import { deliverWebhook } from '../../functions/lib/webhooks/deliverWebhook.ts';
import { excerptBytes } from '../../functions/lib/webhooks/deliveryPolicy.ts';
import { startServer, type TestServer } from './fakes/httpServer.ts';

// A callback URL is never a way in: every address its host resolves to is judged (a resolver of the
// test's own stands in for DNS), and delivery connects only to the addresses judged, follows no redirect,
// reads no more than an excerpt of the answer and waits no longer than it is allowed.

/** A resolver that answers from `names` (every address of a name), and counts the questions it is asked. */
function fakeLookup(names: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup: Lookup = async (host) => {
    asked.push(host);
    const addresses = names[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, asked };
}

const deployed = (lookup?: Lookup): UrlPolicy => ({
  allowPrivate: false,
  allowHttp: false,
  ...(lookup ? { lookup } : {}),
});

/** The reason resolveCallbackUrl refuses `url` for, or a failure when it accepts it. */
async function refusal(url: string, policy: UrlPolicy): Promise<string> {
  const error = await resolveCallbackUrl(new URL(url), policy).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UrlRefusedError);
  return (error as UrlRefusedError).message;
}

describe('resolveCallbackUrl: every address of the host is judged', () => {
  it('refuses a name that resolves to a private address, naming the host and why', async () => {
    // prepare
    const { lookup } = fakeLookup({ 'hooks.example': ['10.0.0.1'] });
    // act
    const message = await refusal('https://hooks.example/in', deployed(lookup));
    // assess
    expect(message).toContain('hooks.example');
    expect(message).toContain('10.0.0.1 is not a public address (private)');
  });

  it('refuses a name with several addresses when one of them is private, even after a public one', async () => {
    const { lookup } = fakeLookup({ 'hooks.example': ['93.184.216.34', '10.0.0.1'] });
    const message = await refusal('https://hooks.example/in', deployed(lookup));
    expect(message).toContain('10.0.0.1 is not a public address (private)');
  });

  it('passes a name whose every address is public, and returns those addresses', async () => {
    const { lookup, asked } = fakeLookup({ 'hooks.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] });
    const addresses = await resolveCallbackUrl(new URL('https://hooks.example/in'), deployed(lookup));
    expect(addresses).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
    expect(asked).toEqual(['hooks.example']);
  });

  it('refuses a name that does not resolve, with the resolver’s code', async () => {
    const { lookup } = fakeLookup({});
    const message = await refusal('https://nowhere.example/in', deployed(lookup));
    expect(message).toBe('its host nowhere.example does not resolve (ENOTFOUND)');
  });

  it('refuses a name whose resolver does not answer within lookupTimeoutMs', async () => {
    vi.useFakeTimers();
    try {
      const never: Lookup = () => new Promise(() => {});
      const checked = refusal('https://slow.example/in', deployed(never));
      await vi.advanceTimersByTimeAsync(lookupTimeoutMs);
      expect(await checked).toBe('its host slow.example does not resolve (a timeout)');
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a name that resolves to no address at all', async () => {
    const { lookup } = fakeLookup({ 'empty.example': [] });
    expect(await refusal('https://empty.example/in', deployed(lookup))).toBe('its host empty.example does not resolve');
  });

  it('with allowPrivate, accepts loopback, as a literal and as a name', async () => {
    const { lookup } = fakeLookup({ 'hooks.example': ['10.0.0.1'] });
    const policy: UrlPolicy = { allowPrivate: true, allowHttp: false, lookup };
    expect(await resolveCallbackUrl(new URL('https://127.0.0.1/in'), policy)).toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
    expect(await resolveCallbackUrl(new URL('https://hooks.example/in'), policy)).toEqual([
      { address: '10.0.0.1', family: 4 },
    ]);
  });

  it('refuses http unless allowHttp, before asking the resolver anything', async () => {
    const { lookup, asked } = fakeLookup({ 'hooks.example': ['93.184.216.34'] });
    expect(await refusal('http://hooks.example/in', deployed(lookup))).toBe('must be an https URL');
    expect(asked).toEqual([]);
    const allowed = await resolveCallbackUrl(new URL('http://hooks.example/in'), {
      allowPrivate: false,
      allowHttp: true,
      lookup,
    });
    expect(allowed).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('refuses another scheme even with allowHttp, and a URL carrying credentials', async () => {
    const loose: UrlPolicy = { allowPrivate: true, allowHttp: true };
    expect(await refusal('ftp://93.184.216.34/in', loose)).toBe('must be an http or https URL');
    expect(await refusal('https://user:pw@93.184.216.34/in', loose)).toBe('must not carry a user name or password');
  });

  it.each([
    ['loopback inside IPv6 (IPv4-mapped)', 'https://[::ffff:127.0.0.1]/in', '(loopback)'],
    [
      'the cloud metadata address',
      'https://169.254.169.254/latest/meta-data/',
      '169.254.169.254 is not a public address (linkLocal)',
    ],
    [
      'loopback written IPv4-compatible (::127.0.0.1)',
      'https://[::127.0.0.1]/in',
      '::7f00:1 is not a public address (an IPv4-compatible IPv6 address)',
    ],
  ])('refuses %s given as a literal, without asking the resolver', async (_what, url, why) => {
    const { lookup, asked } = fakeLookup({});
    expect(await refusal(url, deployed(lookup))).toContain(why);
    expect(asked).toEqual([]);
  });

  it('refuses a name that resolves to an IPv4-mapped loopback address', async () => {
    const { lookup } = fakeLookup({ 'hooks.example': ['::ffff:127.0.0.1'] });
    expect(await refusal('https://hooks.example/in', deployed(lookup))).toContain(
      '::ffff:127.0.0.1 is not a public address (loopback)',
    );
  });
});

describe('addressProblem', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.10', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['192.0.2.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::7f00:1', 'an IPv4-compatible IPv6 address'],
    ['::808:808', 'an IPv4-compatible IPv6 address'],
  ])('%s is not public (%s)', (address, range) => {
    expect(addressProblem(address)).toBe(`${address} is not a public address (${range})`);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001:81c::200e'])(
    '%s is public',
    (address) => {
      expect(addressProblem(address)).toBeUndefined();
    },
  );

  it('says a text that is no address is not one', () => {
    expect(addressProblem('hooks.example')).toBe('hooks.example is not an IP address');
  });
});

describe('deliverWebhook', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  const serve = async (...args: Parameters<typeof startServer>) => {
    const server = await startServer(...args);
    servers.push(server);
    return server;
  };
  const local: UrlPolicy = { allowPrivate: true, allowHttp: true };
  const at = new Date('2025-01-01T00:00:00.000Z');
  const headers = { 'webhook-id': 'evt_tx-1_1', 'webhook-timestamp': '1735689600', 'webhook-signature': 'v1,abc=' };
  const body = JSON.stringify({ type: 'transaction.success', timestamp: at.toISOString(), data: { sequence: 1 } });

  it('refuses a loopback receiver without allowPrivate: the receiver sees no request', async () => {
    // prepare
    const server = await serve();
    // act
    const result = await deliverWebhook(server.url, headers, body, {
      policy: { allowPrivate: false, allowHttp: true },
      timeoutMs: 2000,
      now: () => at,
    });
    // assess
    expect(result.delivered).toBe(false);
    expect(result.answer).toEqual({
      at: at.toISOString(),
      status: null,
      excerpt: null,
      error: expect.stringMatching(/^refused: .*127\.0\.0\.1 is not a public address \(loopback\)/),
    });
    expect(server.seen).toEqual([]);
  });

  it('connects to the address the check resolved, keeping the name in the Host header', async () => {
    // The resolver answers the check once; a second question (the connection's own look-up) gets nothing,
    // and the system resolver knows no hooks.example: the request arrives only if the checked address is used.
    const server = await serve();
    let questions = 0;
    const lookup: Lookup = async (host) => {
      questions++;
      if (host !== 'hooks.example' || questions > 1) throw Object.assign(new Error('rebound'), { code: 'ENOTFOUND' });
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const result = await deliverWebhook(`http://hooks.example:${server.port}/hooks`, headers, body, {
      policy: { allowPrivate: true, allowHttp: true, lookup },
      timeoutMs: 2000,
    });
    expect(result).toMatchObject({ delivered: true, answer: { status: 204, error: null } });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.headers.host).toBe(`hooks.example:${server.port}`);
    expect(questions).toBe(1);
  });

  it('reaches a dual-stack receiver over the family that answers: every checked address is offered to the connection', async () => {
    // hooks.example has ::1 first, where nothing listens, and 127.0.0.1, where the receiver does.
    const server = await serve();
    const { lookup } = fakeLookup({ 'hooks.example': ['::1', '127.0.0.1'] });
    const result = await deliverWebhook(`http://hooks.example:${server.port}/hooks`, headers, body, {
      policy: { allowPrivate: true, allowHttp: true, lookup },
      timeoutMs: 2000,
    });
    expect(result).toMatchObject({ delivered: true, answer: { status: 204 } });
    expect(server.seen).toHaveLength(1);
  });

  it('POSTs the body as JSON with the headers it is given', async () => {
    const server = await serve();
    await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 2000 });
    expect(server.seen).toHaveLength(1);
    const [got] = server.seen;
    expect(got).toMatchObject({ method: 'POST', url: '/hooks', body });
    expect(got?.headers).toMatchObject({
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
  });

  it('counts a 2xx as delivered, with its status and the start of its body', async () => {
    const server = await serve((res) => res.writeHead(200).end('thanks'));
    const result = await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 2000, now: () => at });
    expect(result).toEqual({
      delivered: true,
      answer: { at: at.toISOString(), status: 200, excerpt: 'thanks', error: null },
    });
  });

  it('does not follow a redirect: a 302 is an answer like any other non-2xx', async () => {
    const elsewhere = await serve();
    const server = await serve((res) => res.writeHead(302, { location: elsewhere.url }).end());
    const result = await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 2000 });
    expect(result.delivered).toBe(false);
    expect(result.answer).toMatchObject({ status: 302, error: 'answered 302' });
    expect(server.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });

  it('keeps no more than the first 256 bytes of a large answer', async () => {
    const large = 'x'.repeat(10 * 1024);
    const server = await serve((res) => res.writeHead(500).end(large));
    const result = await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 2000 });
    expect(result.answer).toMatchObject({ status: 500, error: 'answered 500' });
    expect(result.answer.excerpt).toBe(large.slice(0, excerptBytes));
    expect(Buffer.byteLength(result.answer.excerpt ?? '')).toBeLessThanOrEqual(256);
  });

  // A character the limit cuts is left out whole, not decoded as U+FFFD (3 bytes, past the limit).
  it('keeps no more than 256 bytes of an answer whose characters are several bytes long', async () => {
    const large = '€'.repeat(4000); // 3 bytes each: the 256th byte falls inside the 86th
    const server = await serve((res) => res.writeHead(500).end(large));
    const result = await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 2000 });
    expect(Buffer.byteLength(result.answer.excerpt ?? '')).toBeLessThanOrEqual(256);
    expect(result.answer.excerpt).toBe('€'.repeat(85));
  });

  it('gives up on a receiver that does not answer within timeoutMs', async () => {
    const server = await serve(() => {}); // holds the request open
    const started = Date.now();
    const result = await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 200 });
    expect(result).toMatchObject({
      delivered: false,
      answer: { status: null, excerpt: null, error: 'no answer within 0.2 s' },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.seen).toHaveLength(1);
  });

  it('gives up on a receiver that sends its status but never ends its body', async () => {
    const server = await serve((res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const result = await deliverWebhook(server.url, headers, body, { policy: local, timeoutMs: 200 });
    expect(result).toMatchObject({ delivered: false, answer: { error: 'no answer within 0.2 s' } });
  });

  it('answers a connection refused and a text that is no URL, without throwing', async () => {
    const server = await serve();
    const closed = server.url;
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    const refused = await deliverWebhook(closed, headers, body, { policy: local, timeoutMs: 2000 });
    expect(refused).toMatchObject({
      delivered: false,
      answer: { status: null, error: 'could not deliver (ECONNREFUSED)' },
    });
    const notUrl = await deliverWebhook('not a url', headers, body, { policy: local, timeoutMs: 2000 });
    expect(notUrl).toMatchObject({ delivered: false, answer: { error: 'refused: not a URL' } });
  });
});

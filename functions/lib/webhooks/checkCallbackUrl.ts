import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has (the system resolver, or a test's). */
export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Where webhooks may go: by default only https, and only hosts whose every address is public unicast;
 * the local stack allows http and private addresses (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE).
 */
export type UrlPolicy = { allowPrivate: boolean; allowHttp: boolean; lookup?: Lookup };

/** A URL webhooks may not go to, and why (the reason names no secret: it is shown to the client). */
export class UrlRefusedError extends Error {
  override name = 'UrlRefusedError';
}

/**
 * Why an address is not a public unicast one (loopback, private, link-local, multicast, unspecified,
 * unique-local, carrier-grade NAT, reserved, documentation, an IPv4 address inside IPv6...), or
 * undefined for a public one. An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export function addressProblem(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast') return `${address} is not a public address (${range})`;
  // ::a.b.c.d (IPv4-compatible, deprecated): ipaddr.js calls it unicast, but it names an IPv4 address.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
    return `${address} is not a public address (an IPv4-compatible IPv6 address)`;
  }
  return undefined;
}

/** How long a callback URL's host may take to resolve: at submission and at each delivery. */
export const lookupTimeoutMs = 2000;

/** The host of a URL as a resolver takes it: an IPv6 literal without its brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** What is wrong with a callback URL's form alone (scheme, credentials), or undefined. */
export function urlFormProblem(url: URL, policy: UrlPolicy): string | undefined {
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    return policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  return undefined;
}

/**
 * The addresses a callback URL's host resolves to, every one of them checked: throws UrlRefusedError
 * when its form is refused, it does not resolve, or any address is not public (unless the policy allows
 * private ones). Delivery connects only to an address this returned, so a name that resolves to
 * another address between the check and the connection (DNS rebinding) is not followed.
 */
export async function resolveCallbackUrl(
  url: URL,
  policy: UrlPolicy,
): Promise<Array<{ address: string; family: number }>> {
  const form = urlFormProblem(url, policy);
  if (form) throw new UrlRefusedError(form);
  const host = hostOf(url);
  let addresses: Array<{ address: string; family: number }>;
  if (ipaddr.isValid(host)) addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  else {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'a timeout' })), lookupTimeoutMs);
    });
    try {
      addresses = await Promise.race([(policy.lookup ?? systemLookup)(host), late]);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      throw new UrlRefusedError(`its host ${host} does not resolve (${code})`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.length === 0) throw new UrlRefusedError(`its host ${host} does not resolve`);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const problem = addressProblem(address);
      if (problem)
        throw new UrlRefusedError(`its host ${host} resolves to ${problem}: webhooks go to public addresses only`);
    }
  }
  return addresses;
}

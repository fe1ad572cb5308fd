import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { DeliveryAnswer } from '../transactions/events.ts';
import { resolveCallbackUrl, type UrlPolicy, UrlRefusedError } from './checkCallbackUrl.ts';
import { excerptBytes } from './deliveryPolicy.ts';

/** A delivery's answer, and whether it counts as delivered (a 2xx within the time allowed). */
export type DeliveryResult = { delivered: boolean; answer: DeliveryAnswer };

/**
 * POSTs one signed webhook. The host is resolved and every address checked first (resolveCallbackUrl),
 * and the connection goes to a checked address only; redirects are not followed (a 3xx is an answer
 * like any other non-2xx: retried); the whole exchange is bounded by `timeoutMs`; of the body, only
 * the first bytes are read. Never throws: whatever happens is the answer.
 */
export async function deliverWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  options: { policy: UrlPolicy; timeoutMs: number; now?: () => Date },
): Promise<DeliveryResult> {
  const at = (options.now ?? (() => new Date()))().toISOString();
  const failed = (error: string, status: number | null = null, excerpt: string | null = null): DeliveryResult => ({
    delivered: false,
    answer: { at, status, excerpt, error },
  });
  let url: URL;
  let addresses: Array<{ address: string; family: number }>;
  try {
    url = new URL(target);
    addresses = await resolveCallbackUrl(url, options.policy);
  } catch (error) {
    return failed(error instanceof UrlRefusedError ? `refused: ${error.message}` : 'refused: not a URL');
  }
  // The connection goes to the addresses checked above, whatever the resolver would answer now (every
  // one of them when it asks for all, so a dual-stack host is still reached over the family that works).
  const [first] = addresses as [{ address: string; family: number }];
  const pinned: LookupFunction = (_host, opts, callback) => {
    if (opts.all) callback(null, addresses);
    else callback(null, first.address, first.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (result: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(url, {
      method: 'POST',
      lookup: pinned,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'tx-broadcaster-webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      finish(failed(`no answer within ${options.timeoutMs / 1000} s`));
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish(failed(`could not deliver (${error.code ?? error.name})`)),
    );
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const excerpt = utf8Prefix(Buffer.concat(chunks), excerptBytes);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) finish({ delivered: true, answer: { at, status, excerpt, error: null } });
        else finish(failed(`answered ${status}`, status, excerpt));
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= excerptBytes) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.end(body);
  });
}

/** The longest prefix of `bytes` of at most `max` bytes that ends on a whole UTF-8 character, as text. */
function utf8Prefix(bytes: Buffer, max: number): string {
  let end = Math.min(max, bytes.length);
  // Back off continuation bytes (10xxxxxx) so a character cut by the limit is left out, not mangled.
  if (end < bytes.length) while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

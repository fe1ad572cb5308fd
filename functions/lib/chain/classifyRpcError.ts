/**
 * What a node's refusal of `eth_sendRawTransaction` (or any RPC failure) means for us.
 * - known: our bytes are already in the pool or on chain
 * - nonceUsed: the nonce is consumed; ours only if our hash is known
 * - replacement: another transaction holds the nonce; check before deciding
 * - transient: try again later (transport, pool full, underpriced, nonce ahead)
 * - permanent: this transaction will never be accepted as signed
 * - unknown: anything else; ask the node about our hash before deciding
 */
export type RpcErrorClass = 'known' | 'nonceUsed' | 'replacement' | 'transient' | 'permanent' | 'unknown';

export type RpcErrorRule = { match: string; class: RpcErrorClass; label: string };

/** Matched case-insensitively against the error's text, first rule wins; extendable per deployment. */
export const defaultRules: readonly RpcErrorRule[] = [
  { match: 'already known', class: 'known', label: 'already known' },
  { match: 'known transaction', class: 'known', label: 'already known' },
  { match: 'same hash was already imported', class: 'known', label: 'already known' },
  { match: 'alreadyknown', class: 'known', label: 'already known' },
  { match: 'transaction already imported', class: 'known', label: 'already known' },
  { match: 'nonce too low', class: 'nonceUsed', label: 'nonce used' },
  { match: 'oldnonce', class: 'nonceUsed', label: 'nonce used' },
  { match: 'nonce has already been used', class: 'nonceUsed', label: 'nonce used' },
  { match: 'replacement transaction underpriced', class: 'replacement', label: 'nonce held' },
  { match: 'replacement fee too low', class: 'replacement', label: 'nonce held' },
  { match: 'txpool is full', class: 'transient', label: 'pool full' },
  { match: 'transaction pool is full', class: 'transient', label: 'pool full' },
  { match: 'transaction underpriced', class: 'transient', label: 'underpriced' },
  { match: 'max fee per gas less than block base fee', class: 'transient', label: 'underpriced' },
  { match: 'fee cap less than block base fee', class: 'transient', label: 'underpriced' },
  { match: 'feetoolow', class: 'transient', label: 'underpriced' },
  { match: 'nonce too high', class: 'transient', label: 'nonce ahead' },
  { match: 'exceeds next nonce', class: 'transient', label: 'nonce ahead' },
  { match: 'noncegap', class: 'transient', label: 'nonce ahead' },
  { match: 'insufficient funds', class: 'permanent', label: 'insufficient funds' },
  { match: 'intrinsic gas too low', class: 'permanent', label: 'gas too low' },
  { match: 'exceeds block gas limit', class: 'permanent', label: 'gas above block limit' },
  // revm (anvil, reth): a gas limit no block can hold.
  { match: 'intrinsic gas too high', class: 'permanent', label: 'gas above block limit' },
  { match: 'invalid sender', class: 'permanent', label: 'invalid sender' },
  { match: 'oversized data', class: 'permanent', label: 'oversized data' },
  { match: 'transaction type not supported', class: 'permanent', label: 'type not supported' },
  { match: 'tx type not supported', class: 'permanent', label: 'type not supported' },
  { match: 'invalid chain id', class: 'permanent', label: 'wrong chain' },
  { match: 'execution reverted', class: 'permanent', label: 'reverted' },
  { match: 'header not found', class: 'transient', label: 'node lagging' },
  // KMS refusing the signer for rate (the SDK's own retries already ran out): sign again later.
  { match: 'throttlingexception', class: 'transient', label: 'KMS throttled' },
  { match: 'rate limit', class: 'transient', label: 'rate limited' },
  { match: 'too many requests', class: 'transient', label: 'rate limited' },
  { match: 'limit exceeded', class: 'transient', label: 'rate limited' },
  { match: 'timed out', class: 'transient', label: 'timeout' },
  { match: 'timeout', class: 'transient', label: 'timeout' },
  { match: 'econnrefused', class: 'transient', label: 'connection refused' },
  { match: 'econnreset', class: 'transient', label: 'connection reset' },
  { match: 'socket hang up', class: 'transient', label: 'connection reset' },
  { match: 'other side closed', class: 'transient', label: 'connection reset' },
  { match: 'fetch failed', class: 'transient', label: 'connection failed' },
  { match: 'service unavailable', class: 'transient', label: 'node unavailable' },
  { match: 'bad gateway', class: 'transient', label: 'node unavailable' },
];

/** HTTP statuses that say "not now" rather than "never". */
const transientHttpStatuses = new Set([408, 425, 429, 500, 502, 503, 504]);
/** JSON-RPC codes for limits and unavailability (EIP-1474 -32005, and -32603 internal errors). */
const transientRpcCodes = new Set([-32005, -32603, 429]);

export type ClassifiedRpcError = { class: RpcErrorClass; label: string; reason: string };

type ErrorLike = {
  name?: unknown;
  message?: unknown;
  details?: unknown;
  shortMessage?: unknown;
  status?: unknown;
  code?: unknown;
  cause?: unknown;
};

/** Walks an error and its causes, collecting text, HTTP statuses and RPC codes. */
function collect(error: unknown) {
  const texts: string[] = [];
  const statuses: number[] = [];
  const codes: Array<number | string> = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (typeof current !== 'object') {
      texts.push(String(current));
      break;
    }
    const e = current as ErrorLike;
    for (const t of [e.details, e.shortMessage, e.message, e.name]) if (typeof t === 'string') texts.push(t);
    if (typeof e.status === 'number') statuses.push(e.status);
    if (typeof e.code === 'number' || typeof e.code === 'string') codes.push(e.code);
    current = e.cause;
  }
  return { texts, statuses, codes };
}

/** The most specific sentence the node gave: viem's `details`, else the first line of the message. */
function reasonOf(error: unknown, texts: string[]): string {
  const e = (typeof error === 'object' && error ? error : {}) as ErrorLike;
  let current: unknown = e;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth++) {
    const details = (current as ErrorLike).details;
    if (typeof details === 'string' && details.length > 0) return details;
    current = (current as ErrorLike).cause;
  }
  return (texts[0] ?? 'unknown error').split('\n')[0] ?? 'unknown error';
}

/** Classifies an RPC failure with the rule table, then by HTTP status and JSON-RPC code. */
export function classifyRpcError(error: unknown, rules: readonly RpcErrorRule[] = defaultRules): ClassifiedRpcError {
  const { texts, statuses, codes } = collect(error);
  const reason = reasonOf(error, texts);
  const haystack = texts.join('\n').toLowerCase();
  for (const rule of rules) {
    if (haystack.includes(rule.match.toLowerCase())) return { class: rule.class, label: rule.label, reason };
  }
  if (statuses.some((s) => transientHttpStatuses.has(s))) return { class: 'transient', label: 'http error', reason };
  if (codes.some((c) => typeof c === 'number' && transientRpcCodes.has(c)))
    return { class: 'transient', label: 'rpc error', reason };
  if (codes.some((c) => typeof c === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|UND_ERR|EAI_AGAIN)/.test(c)))
    return { class: 'transient', label: 'connection failed', reason };
  if (texts.some((t) => t === 'TimeoutError' || t === 'AbortError'))
    return { class: 'transient', label: 'timeout', reason };
  return { class: 'unknown', label: 'unknown', reason };
}

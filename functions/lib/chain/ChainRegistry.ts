import {
  BaseError,
  type Client,
  createClient,
  fallback,
  HttpRequestError,
  http,
  type PublicActions,
  type PublicClient,
  type PublicRpcSchema,
  rpcSchema,
  TimeoutError,
  type Transport,
} from 'viem';
import {
  estimateFeesPerGas,
  estimateGas,
  getBalance,
  getChainId,
  getTransactionCount,
  sendRawTransaction,
} from 'viem/actions';
import { UnknownChainError } from '../errors/errors.ts';
import type { RpcUrls } from './resolveRpcUrls.ts';

type ChainActions = Pick<
  PublicActions,
  'estimateFeesPerGas' | 'estimateGas' | 'getBalance' | 'getChainId' | 'getTransactionCount' | 'sendRawTransaction'
>;

/**
 * The JSON-RPC calls the service makes to a chain. A viem `PublicClient` has them all (tests may pass
 * one); the registry builds only these, so the bundles leave out the hundred other public actions.
 */
export type ChainClient = Pick<PublicClient, 'request' | keyof ChainActions>;

/** The chain clients of the configured chains, by chain id. */
export type ChainRegistry = {
  chainIds(): number[];
  client(chainId: number): ChainClient;
};

function chainActions(client: Client<Transport, undefined, undefined, PublicRpcSchema>): ChainActions {
  return {
    estimateFeesPerGas: (args) => estimateFeesPerGas(client, args),
    estimateGas: (args) => estimateGas(client, args),
    getBalance: (args) => getBalance(client, args),
    getChainId: () => getChainId(client),
    getTransactionCount: (args) => getTransactionCount(client, args),
    sendRawTransaction: (args) => sendRawTransaction(client, args),
  };
}

/** A transport that tells `onRequest` the method of each request before making it. */
function observed(transport: Transport, onRequest: (method: string) => void): Transport {
  return (params) => {
    const inner = transport(params);
    const request: typeof inner.request = (args, options) => {
      onRequest(args.method);
      return inner.request(args, options);
    };
    return { ...inner, request };
  };
}

/** How a chain's JSON-RPC calls ride out a provider's failures (RPC_TIMEOUT_MS, RPC_RETRIES, RPC_BUDGET_MS). */
export type RpcSettings = {
  /** One request to one URL. */
  timeoutMs: number;
  /** Rounds over the URLs after the first, when each failed as a transport (5xx, 429, timeout, no connection). */
  retries: number;
  /** The whole call, every URL and round: then it fails as a timeout, the caller's to count. */
  budgetMs: number;
};

/**
 * Whether an error is the node's answer rather than the way to it failing. A node's answer (nonce too low,
 * reverted, underpriced: a JSON-RPC error on a 2xx) is final and is not put to the next URL; a transport
 * failure (an HTTP 5xx or 429, a timeout, a refused connection) or a provider's rate limit in JSON-RPC
 * (429, -32005, -32007) is, and is asked again by viem's retries.
 */
export function isNodeAnswer(error: Error): boolean {
  if (!(error instanceof BaseError)) return false;
  if (error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && ![-1, 429, -32005, -32007].includes(code);
}

/** A transport whose every request fails as a timeout once `budgetMs` has passed, whatever is still being tried. */
function withinBudget(transport: Transport, budgetMs: number): Transport {
  return (params) => {
    const inner = transport(params);
    const request = ((args: Parameters<typeof inner.request>[0], options?: Parameters<typeof inner.request>[1]) => {
      const answer: Promise<unknown> = inner.request(args, options);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError({ body: { method: args.method }, url: 'rpc' })), budgetMs);
      });
      // What is still being tried past the budget ends in the background; its outcome is nobody's.
      answer.catch(() => undefined);
      return Promise.race([answer, late]).finally(() => clearTimeout(timer));
    }) as typeof inner.request;
    return { ...inner, request };
  };
}

/**
 * A chain's transport over its URLs: the first asked first, the next only when a transport failed (see
 * `isNodeAnswer`), and the whole list again after 100 ms, 200 ms, ... `retries` times, within the budget.
 * A retried `eth_sendRawTransaction` sends the same signed bytes, so it has one effect however often it
 * reaches a node; an "already known" or "nonce too low" it meets is read as the broadcaster reads any.
 */
function chainTransport(urls: readonly string[], rpc: RpcSettings): Transport {
  // One URL is a list of one: the retries are the fallback's, over the list, whatever its length.
  const transport = fallback(
    urls.map((url) => http(url, { retryCount: 0, timeout: rpc.timeoutMs })),
    { retryCount: rpc.retries, retryDelay: 100, shouldThrow: isNodeAnswer },
  );
  return withinBudget(transport, rpc.budgetMs);
}

/**
 * One viem client per configured chain, created once, over the chain's URLs (`chainTransport`). What
 * still fails after the retries within a call goes through our retry queue, where it is counted and
 * recorded. `onRequest` (a benchmark's counter) hears the method of every JSON-RPC call.
 */
export function createChainRegistry(
  rpcUrls: RpcUrls,
  rpc: RpcSettings,
  onRequest?: (chainId: number, method: string) => void,
): ChainRegistry {
  const clients = new Map<number, ChainClient>();
  for (const [id, urls] of Object.entries(rpcUrls)) {
    const chainId = Number(id);
    const transport = chainTransport(urls, rpc);
    const client = createClient({
      transport: onRequest ? observed(transport, (method) => onRequest(chainId, method)) : transport,
      rpcSchema: rpcSchema<PublicRpcSchema>(),
    });
    clients.set(chainId, { request: client.request, ...chainActions(client) });
  }
  return {
    chainIds: () => [...clients.keys()],
    client(chainId) {
      const client = clients.get(chainId);
      if (!client) throw new UnknownChainError(chainId);
      return client;
    },
  };
}

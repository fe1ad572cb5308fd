import {
  type Client,
  createClient,
  http,
  type PublicActions,
  type PublicClient,
  type PublicRpcSchema,
  rpcSchema,
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

/**
 * One viem client per configured chain, created once. viem's own retries are off: every retry
 * goes through our retry queue, where it is counted and recorded. `onRequest` (a benchmark's
 * counter) hears the method of every JSON-RPC request.
 */
export function createChainRegistry(
  rpcUrls: Record<number, string>,
  timeoutMs: number,
  onRequest?: (chainId: number, method: string) => void,
): ChainRegistry {
  const clients = new Map<number, ChainClient>();
  for (const [id, url] of Object.entries(rpcUrls)) {
    const chainId = Number(id);
    const transport = http(url, { retryCount: 0, timeout: timeoutMs });
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

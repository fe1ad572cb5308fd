import { createPublicClient, http, type PublicClient } from 'viem';
import { AppError } from '../errors/AppError.ts';

/** A chain id the service was not configured for. */
export class UnknownChainError extends AppError {
  override name = 'UnknownChainError';
  readonly chainId: number;

  constructor(chainId: number) {
    super('unknown_chain', `chain ${chainId} is not configured`);
    this.chainId = chainId;
  }
}

export type ChainRegistry = {
  chainIds(): number[];
  client(chainId: number): PublicClient;
};

/**
 * One viem client per configured chain, created once. viem's own retries are off: every retry
 * goes through our retry queue, where it is counted and recorded.
 */
export function createChainRegistry(rpcUrls: Record<number, string>, timeoutMs: number): ChainRegistry {
  const clients = new Map<number, PublicClient>();
  for (const [id, url] of Object.entries(rpcUrls)) {
    clients.set(Number(id), createPublicClient({ transport: http(url, { retryCount: 0, timeout: timeoutMs }) }));
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

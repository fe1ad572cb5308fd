/**
 * One JSON-RPC caller for the local chain's own plumbing (start-up, the pool watch, the state file): POSTs
 * `method` to `url`, gives up after `timeoutMs`, and throws the node's error. The handlers talk to chains
 * through viem (`functions/lib/chain`); this is only for what the runner asks anvil itself.
 */
export function anvilRpc(url: string, timeoutMs: number): (method: string, params?: unknown[]) => Promise<unknown> {
  return async (method, params = []) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message ?? 'error'}`);
    return body.result;
  };
}

import { decodeErrorResult, type Hash, type Hex } from 'viem';
import type { ChainClient } from './ChainRegistry.ts';

/** A call frame as `debug_traceTransaction` with the call tracer gives it (the fields read here). */
type CallFrame = { revertReason?: unknown; output?: unknown };

/**
 * The reason a mined transaction reverted, as the node tells it: its call tracer's `revertReason`, or
 * the `Error(string)` / `Panic(uint256)` its output encodes. Best effort and never a guess: a node
 * without the tracer, a revert with no data, or a custom error gives nothing.
 */
export async function readRevertReason(client: ChainClient, hash: Hash): Promise<string | undefined> {
  const reason = await reasonOf(client, hash);
  // A contract may revert with a reason of any length: the record (and the message) keep its start.
  return reason === undefined || reason.length <= maxReasonLength ? reason : `${reason.slice(0, maxReasonLength)}…`;
}

/** The longest revert reason kept, in characters. */
export const maxReasonLength = 512;

async function reasonOf(client: ChainClient, hash: Hash): Promise<string | undefined> {
  // debug_ is outside the public RPC schema viem types: one untyped call, its answer checked field by field.
  const request = client.request as unknown as (args: { method: string; params: unknown[] }) => Promise<unknown>;
  let frame: CallFrame;
  try {
    frame = ((await request({ method: 'debug_traceTransaction', params: [hash, { tracer: 'callTracer' }] })) ??
      {}) as CallFrame;
  } catch {
    return undefined;
  }
  if (typeof frame.revertReason === 'string' && frame.revertReason !== '') return frame.revertReason;
  if (typeof frame.output !== 'string' || frame.output.length <= 10) return undefined;
  try {
    const decoded = decodeErrorResult({ data: frame.output as Hex });
    if (decoded.errorName === 'Error') return String(decoded.args[0]);
    if (decoded.errorName === 'Panic') return `panic 0x${BigInt(String(decoded.args[0])).toString(16)}`;
  } catch {
    // A custom error of the contract's own: its ABI is not ours to know.
  }
  return undefined;
}

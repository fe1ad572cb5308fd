import type { Hex } from 'viem';
import type { ChainClient } from './ChainRegistry.ts';
import { classifyRpcError } from './classifyRpcError.ts';

/** What the node made of bytes sent again: taken, held by another transaction of that nonce, or to try later. */
export type ResendResult = {
  /** sent: the node took them (or had them); taken: something else already holds the nonce; later: try again. */
  outcome: 'sent' | 'taken' | 'later';
  error?: string;
};

/** Sends bytes that were signed and stored before; an answer that the nonce is taken is not an error. */
export async function resendRaw(client: ChainClient, rawTx: Hex): Promise<ResendResult> {
  try {
    await client.sendRawTransaction({ serializedTransaction: rawTx });
    return { outcome: 'sent' };
  } catch (error) {
    const c = classifyRpcError(error);
    if (c.class === 'known') return { outcome: 'sent' };
    if (c.class === 'nonceUsed' || c.class === 'replacement') return { outcome: 'taken', error: c.reason };
    return { outcome: 'later', error: c.reason };
  }
}

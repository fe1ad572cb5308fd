import type { Counts, Success } from './createCounters.ts';

/** What the benchmark asks of the stack's process. */
export type ToStack = { type: 'reset' } | { type: 'snapshot' } | { type: 'stop' };

/** What the stack's process tells the benchmark. */
export type FromStack =
  | { type: 'ready'; url: string; rpcUrl: string; signer: string; chainId: number }
  | { type: 'successes'; items: Success[] }
  | { type: 'snapshot'; counts: Counts }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

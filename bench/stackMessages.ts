import type { StartupTimes } from '../infra/local/StartupTimes.ts';
import type { Counts, Success } from './createCounters.ts';

/** What the benchmark asks of the stack's process. */
export type ToStack =
  | { type: 'reset' }
  | { type: 'snapshot' }
  | { type: 'sweep' }
  | { type: 'mark' }
  | { type: 'stop' };

/** What the stack's process tells the benchmark. */
export type FromStack =
  | { type: 'ready'; url: string; rpcUrl: string; signer: string; chainId: number; startup: StartupTimes }
  | { type: 'successes'; items: Success[] }
  | { type: 'snapshot'; counts: Counts }
  | { type: 'swept'; ms: number }
  /** The process's monotonic clock now, in microseconds: the clock a V8 CPU profile's sample times are on. */
  | { type: 'marked'; us: number }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

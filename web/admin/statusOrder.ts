import type { Status } from '../../functions/lib/transactions/status.ts';

// This record must name every status, or it does not compile: a status the model gains cannot be left off the page.
const every: Record<Status, true> = {
  failed: true,
  reverted: true,
  retrying: true,
  pending: true,
  success: true,
  mined: true,
  confirmed: true,
};

/** Every status, in the order an operator looks for them: what went wrong first. */
export const statusOrder: readonly Status[] = [
  'failed',
  'reverted',
  'retrying',
  'pending',
  'success',
  'mined',
  'confirmed',
].filter((s): s is Status => s in every);

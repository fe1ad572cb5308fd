import type { Status } from '../../transactions/model.ts';

// The model's own list would bring zod into the page; this record must name every status, or it does not compile.
const every: Record<Status, true> = { failed: true, retrying: true, pending: true, success: true };

/** Every status, in the order an operator looks for them: what went wrong first. */
export const statusOrder: readonly Status[] = ['failed', 'retrying', 'pending', 'success'].filter(
  (s): s is Status => s in every,
);

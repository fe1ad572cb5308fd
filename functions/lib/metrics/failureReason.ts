import { defaultRules, type RpcErrorRule } from '../chain/classifyRpcError.ts';
import type { TransactionOutcome } from '../transactions/model.ts';

/**
 * The failures a failed outcome's text names that the node's rule table does not (ours: a cancel, a
 * sender outside the pool, an unknown chain), before that table. Matched as it is, case-insensitively.
 */
const ownRules: readonly RpcErrorRule[] = [
  { match: 'canceled', class: 'permanent', label: 'canceled' },
  { match: 'not a signer of this deployment', class: 'permanent', label: 'not a signer' },
  { match: 'not a configured chain', class: 'permanent', label: 'unknown chain' },
];
const rules = [...ownRules, ...defaultRules];

/** A rule's label as a dimension value: `insufficient funds` -> `insufficient_funds`. */
const asReason = (label: string) => label.toLowerCase().replace(/[^a-z0-9]+/g, '_');

/** Its nonce was used by a transaction that is none of its signatures (the tracker saw it). */
const nonceTaken = 'nonce_taken';
/** Nothing in the text names a rule: the node or the signer refused it for a reason no rule knows. */
const rejected = 'rejected';

/** Every value `failureReasonOf` can give: the `reason` dimension of `Failed` has no other. */
export const failureReasons: ReadonlySet<string> = new Set([
  ...rules.map((r) => asReason(r.label)),
  nonceTaken,
  rejected,
]);

/**
 * The `reason` of a failed outcome, for the `Failed` metric: one of `failureReasons`, never the free
 * text the outcome carries (a node's message may hold addresses, amounts, hashes: one series each). The
 * outcome's error is read with the rule table that classified it when it happened.
 */
export function failureReasonOf(outcome: Pick<TransactionOutcome, 'error' | 'message' | 'tracked' | 'canceled'>) {
  if (outcome.canceled) return asReason('canceled');
  if (outcome.tracked) return nonceTaken;
  const text = outcome.error ?? outcome.message;
  const rule = rules.find((r) => text.toLowerCase().includes(r.match.toLowerCase()));
  return rule ? asReason(rule.label) : rejected;
}

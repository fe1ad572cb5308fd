/**
 * The metric the tracker emits (CloudWatch EMF, in its log) each time it finds a transaction waiting at
 * the fee cap, and the stack's alarm watches. The chain is in the line's metadata, not a dimension, so
 * one alarm covers every chain.
 */
export const stuckMetric = { namespace: 'TransactionBroadcaster', name: 'StuckAtFeeCap', service: 'tracker' } as const;

// No zod here: the admin page imports this module, and its bundle must stay free of it.

/**
 * Every status a transaction can be in, in the order it moves through them: accepted (`pending`),
 * between attempts (`retrying`), accepted by the node (`success`), in a block short of the chain's
 * depth (`mined`), then at depth `confirmed` (receipt status 1) or `reverted` (0); or `failed`.
 */
export const statuses = ['pending', 'retrying', 'success', 'mined', 'confirmed', 'reverted', 'failed'] as const;
export type Status = (typeof statuses)[number];

const terminalStatuses: readonly Status[] = ['confirmed', 'reverted', 'failed'];

/** True once nothing may change the status again. */
export function isTerminal(status: Status): boolean {
  return terminalStatuses.includes(status);
}

const broadcastStatuses: readonly Status[] = ['success', 'mined', 'confirmed', 'reverted'];

/** True once the node has accepted the transaction (what `POST /transactions` answers 200 for): success or later. */
export function isBroadcast(status: Status): boolean {
  return broadcastStatuses.includes(status);
}

/** True while the tracker follows the transaction: accepted by the node, not yet at depth. */
export function isTracked(status: Status): boolean {
  return status === 'success' || status === 'mined';
}

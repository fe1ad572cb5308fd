// No zod here: the admin page imports this module, and its bundle must stay free of it.

/** Every status a transaction can be in. */
export const statuses = ['pending', 'retrying', 'success', 'failed'] as const;
export type Status = (typeof statuses)[number];

const terminalStatuses: readonly Status[] = ['success', 'failed'];

/** True once nothing may change the status again. */
export function isTerminal(status: Status): boolean {
  return terminalStatuses.includes(status);
}

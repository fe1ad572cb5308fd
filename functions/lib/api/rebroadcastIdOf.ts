import { createHash } from 'node:crypto';

/**
 * The id of the one transaction that re-sends failed transaction `id`: derived from it (a UUID-shaped
 * SHA-256, version nibble 8 for "custom"), so every caller, concurrent or retrying after a crash,
 * names the same new transaction and the table's conditional put lets only one of them create it.
 */
export function rebroadcastIdOf(id: string): string {
  const hex = createHash('sha256').update(`rebroadcast:${id}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

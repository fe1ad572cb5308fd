/** A whole number of base units (a decimal string) in a unit `decimals` places up, exactly, without trailing zeros. */
function scaleDown(amount: string, decimals: number): string {
  let n: bigint;
  try {
    n = BigInt(amount);
  } catch {
    return amount;
  }
  const unit = 10n ** BigInt(decimals);
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const fraction = (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${sign}${abs / unit}${fraction ? `.${fraction}` : ''}`;
}

/** Wei (a decimal string) as ETH, exactly, without trailing zeros: `"1500000000000000000"` -> `"1.5"`. */
export function formatEth(wei: string): string {
  return scaleDown(wei, 18);
}

/** Wei (a decimal string) as gwei, the unit fees are read in, exactly: `"1875000000"` -> `"1.875"`. */
export function formatGwei(wei: string): string {
  return scaleDown(wei, 9);
}

/** `0x1234…cdef`: enough of a hash or address to recognise it; the whole one goes in a title. */
export function shortHex(hex: string | null | undefined, keep = 6): string {
  if (!hex) return '';
  return hex.length <= keep * 2 + 3 ? hex : `${hex.slice(0, keep)}…${hex.slice(-4)}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A timestamp in the reader's time zone, `2026-11-24 19:12:07`, sortable and the same in every locale. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The list's time column: the time alone for today, the date and minute before that; the full instant goes in a title. */
export function formatWhen(iso: string, now: Date = new Date()): string {
  const full = formatTime(iso);
  const d = new Date(iso);
  const today = d.toDateString() === now.toDateString();
  return today ? full.slice(11) : full.slice(0, 16);
}

/**
 * What a client's text must not do on this page: reorder what is around it (bidi embeddings, overrides,
 * isolates and marks) or hide (controls, zero-width and other default-ignorable characters, separators,
 * spaces other than the plain one, lone surrogates).
 */
const unseen = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|[^\P{Zs} ]/gu;
const bidi = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** One character `revealInvisible` shows as an escape: what is shown, and a title that says why. */
export type Escaped = { escape: string; title: string };

/**
 * Text as the parts to show: plain text as it is, and every character that would reorder or hide text
 * as a visible escape (`\u202E`), so that what an operator reads is what the client sent.
 */
export function revealInvisible(text: string): (string | Escaped)[] {
  const parts: (string | Escaped)[] = [];
  let last = 0;
  for (const match of text.matchAll(unseen)) {
    const char = match[0];
    const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase();
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({
      escape: code.length > 4 ? `\\u{${code}}` : `\\u${code.padStart(4, '0')}`,
      title: `U+${code.padStart(4, '0')}, ${bidi.test(char) ? 'a bidirectional control' : 'an invisible character'}: shown, not applied`,
    });
    last = match.index + char.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Text as `revealInvisible` shows it, as one plain string: for a `title`, where no markup goes. */
export function revealedText(text: string): string {
  return revealInvisible(text)
    .map((part) => (typeof part === 'string' ? part : part.escape))
    .join('');
}

const weiPerEth = 10n ** 18n;

/** Wei (a decimal string) as ETH, exactly, without trailing zeros: `"1500000000000000000"` -> `"1.5"`. */
export function formatEth(wei: string): string {
  let amount: bigint;
  try {
    amount = BigInt(wei);
  } catch {
    return wei;
  }
  const sign = amount < 0n ? '-' : '';
  const abs = amount < 0n ? -amount : amount;
  const whole = abs / weiPerEth;
  const fraction = (abs % weiPerEth).toString().padStart(18, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
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

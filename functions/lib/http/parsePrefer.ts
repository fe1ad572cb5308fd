/** What an RFC 7240 `Prefer` header asks of the wait: answer at once, or wait at most `waitMs`. */
export function parsePrefer(header: string | undefined, defaultWaitMs: number, maxWaitMs: number): number {
  if (!header) return defaultWaitMs;
  let waitMs = defaultWaitMs;
  for (const part of header.split(',')) {
    const [name, value] = part
      .trim()
      .split('=')
      .map((s) => s.trim().toLowerCase());
    if (name === 'respond-async') return 0;
    if (name === 'wait' && value && /^\d+$/.test(value)) waitMs = Math.min(Number(value) * 1000, maxWaitMs);
  }
  return waitMs;
}

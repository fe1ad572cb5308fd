/** What a `Prefer` header asked of the wait, and the `Preference-Applied` value that says so. */
export type WaitPreference = { waitMs: number; applied?: string };

/** What an RFC 7240 `Prefer` header asks of the wait: answer at once, or wait at most `waitMs`. */
export function parsePrefer(header: string | undefined, defaultWaitMs: number, maxWaitMs: number): WaitPreference {
  if (!header) return { waitMs: defaultWaitMs };
  let preference: WaitPreference = { waitMs: defaultWaitMs };
  for (const part of header.split(',')) {
    const [name, value] =
      part
        .split(';')[0]
        ?.trim()
        .split('=')
        .map((s) =>
          s
            .trim()
            .toLowerCase()
            .replace(/^"(.*)"$/, '$1'),
        ) ?? [];
    if (name === 'respond-async') return { waitMs: 0, applied: 'respond-async' };
    if (name === 'wait' && value && /^\d{1,9}$/.test(value)) {
      const waitMs = Math.min(Number(value) * 1000, maxWaitMs);
      preference = { waitMs, applied: `wait=${waitMs / 1000}` };
    }
  }
  return preference;
}

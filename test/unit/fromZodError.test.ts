import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { maxListedIssues, ValidationError } from '../../functions/lib/errors/errors.ts';
import { fromZodError } from '../../functions/lib/errors/fromZodError.ts';

const schema = z.strictObject({ to: z.string(), inner: z.strictObject({ n: z.number() }).optional() });

/** The ValidationError that fromZodError makes of what `schema` says about `input`. */
function refusal(input: unknown): ValidationError {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('the schema accepted it');
  return fromZodError(parsed.error, 'the request');
}

/** An object with `n` unknown keys beside a valid `to`. */
const withUnknownKeys = (n: number) => ({
  to: 'x',
  ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
});

describe('fromZodError', () => {
  it('names each wrong field by its dotted path, each unknown key by itself, an empty key as ""', () => {
    // act
    const error = refusal({ to: 1, inner: { n: 'x', extra: 1 }, '': 2 });
    // assess
    expect(error.details).toEqual([
      { path: 'to', message: expect.any(String) },
      { path: 'inner.n', message: expect.any(String) },
      { path: 'inner.extra', message: 'unknown field' },
      { path: '""', message: 'unknown field' },
    ]);
    expect(error.message).toBe('the request is invalid: check to, inner.n, inner.extra, ""');
  });

  it('a body that is not an object is named as body', () => {
    expect(refusal('nope').details.map((d) => d.path)).toEqual(['body']);
  });

  it(`lists up to ${maxListedIssues} issues in full`, () => {
    const error = refusal(withUnknownKeys(maxListedIssues));
    expect(error.details).toHaveLength(maxListedIssues);
    expect(error.message).not.toMatch(/more/);
  });

  it(`lists at most ${maxListedIssues} of 10 000 unknown keys, and says how many more there were`, () => {
    // act
    const error = refusal(withUnknownKeys(10_000));
    // assess
    expect(error.details).toEqual(
      Array.from({ length: maxListedIssues }, (_, i) => ({ path: `k${i}`, message: 'unknown field' })),
    );
    expect(error.unlisted).toBe(10_000 - maxListedIssues);
    expect(error.message).toBe(
      `the request is invalid: check ${error.details.map((d) => d.path).join(', ')} (and 9980 more issues, not listed: at most ${maxListedIssues} are)`,
    );
  });
});

describe('ValidationError', () => {
  it('keeps every issue when there are few, and says nothing more', () => {
    const error = new ValidationError('bad', [{ path: 'a', message: 'm' }]);
    expect([error.details, error.unlisted, error.message]).toEqual([[{ path: 'a', message: 'm' }], 0, 'bad']);
  });

  it('keeps the first issues of many, and counts the rest in its message', () => {
    const issues = Array.from({ length: maxListedIssues + 1 }, (_, i) => ({ path: `p${i}`, message: 'm' }));
    const error = new ValidationError('bad', issues);
    expect(error.details).toEqual(issues.slice(0, maxListedIssues));
    expect(error.message).toBe(`bad (and 1 more issue, not listed: at most ${maxListedIssues} are)`);
  });

  it('naming: a message that names the fields of the issues it lists, each once', () => {
    const error = ValidationError.naming('the call is wrong', [
      { path: 'a', message: 'x' },
      { path: 'a', message: 'y' },
      { path: 'b', message: 'z' },
    ]);
    expect(error.message).toBe('the call is wrong: check a, b');
  });
});

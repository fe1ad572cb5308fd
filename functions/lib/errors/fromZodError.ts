import type { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors.ts';

/** Turns zod's issues into one ValidationError that names the wrong fields (as many as it lists). */
export function fromZodError(error: z.ZodError, what: string): ValidationError {
  const details: FieldIssue[] = [];
  // An empty key is a field too, and must still be named: `""`.
  const name = (key: PropertyKey) => (key === '' ? '""' : String(key));
  for (const issue of error.issues) {
    const base = issue.path.map(name).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        details.push({ path: base ? `${base}.${name(key)}` : name(key), message: 'unknown field' });
    } else {
      details.push({ path: base || 'body', message: issue.message });
    }
  }
  return ValidationError.naming(`${what} is invalid`, details);
}

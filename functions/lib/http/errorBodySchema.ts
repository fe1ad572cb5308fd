import * as z from 'zod';

/** The one shape of every error answer, whatever its status. */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({ description: 'stable, for programs: validation_failed, unauthorized, not_found...' }),
      message: z.string().meta({ description: 'a sentence for a person' }),
      details: z
        .array(z.strictObject({ path: z.string(), message: z.string() }))
        .meta({ description: 'for validation_failed: each wrong field (a dotted path) and what it must be' }),
    }),
  })
  .meta({ id: 'Error', description: 'an error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

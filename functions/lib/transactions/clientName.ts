import * as z from 'zod';

/** A client's name: what its transactions carry, what scopes its idempotency keys; never derived from a token. */
export const clientNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'must be 1 to 64 letters, digits, _ . or -, starting with a letter or digit',
  );

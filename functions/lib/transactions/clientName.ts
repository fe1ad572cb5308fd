import * as z from 'zod';

/** The client name of the local `ADMIN_TOKEN`; no client token may take it. */
export const localAdminName = 'admin';

/** The client name of the local `API_TOKEN`. */
export const localDefaultClientName = 'default';

/** A client's name: what its transactions carry, what scopes its idempotency keys; never derived from a token. */
export const clientNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'must be 1 to 64 letters, digits, _ . or -, starting with a letter or digit',
  );

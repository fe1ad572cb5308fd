import type { Role } from './hasRole.ts';

/** Who is calling: a named client, and what its token may do. */
export type Caller = { client: string; role: Role };

/** The client name of the local `ADMIN_TOKEN`; no client token may take it. */
export const localAdminName = 'admin';

/** The client name of the local `API_TOKEN`. */
export const localDefaultClientName = 'default';

import type { Role } from './hasRole.ts';

/** Who is calling: a named client, and what its token may do. */
export type Caller = { client: string; role: Role };

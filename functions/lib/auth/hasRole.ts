export const roles = ['client', 'admin'] as const;

/** What a token is allowed: `client` submits and reads transactions; `admin` may do everything. */
export type Role = (typeof roles)[number];

/** Who may call a route: anyone (`none`), or a token of at least this role. */
export type Access = 'none' | Role;

/** True when a token of `role` may use a route that needs `needed`: admin may do all a client may. */
export function hasRole(role: Role, needed: Role): boolean {
  return role === 'admin' || role === needed;
}

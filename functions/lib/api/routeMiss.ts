import { MethodNotAllowedError, NotFoundError } from '../errors/errors.ts';
import type { Route } from './Route.ts';
import { routePattern } from './routePattern.ts';

/** For a path no route takes with this method: 405 naming the methods it does take, else 404. */
export function routeMiss(routes: Route[], path: string): never {
  const allowed = routes.filter((r) => routePattern(r.path).test(path)).map((r) => r.method);
  if (allowed.length > 0) throw new MethodNotAllowedError(allowed);
  throw new NotFoundError(`no route for ${path.length > 200 ? `${path.slice(0, 200)}...` : path}`);
}

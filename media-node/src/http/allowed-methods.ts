import type { MiddlewareHandler } from 'hono';
import { allowedMethodsLookup, isMethodAllowed, type RouteEntry } from '@huddle/protocol';
import { errorBody } from './openapi.ts';

/**
 * 405 `method_not_allowed` with `Allow` for a method the path does not have, 204 with
 * `Allow` for OPTIONS; unknown paths fall through to the 404. `routes` is read on the
 * first request, once every route is registered (`app.routes`).
 */
export function allowedMethods(routes: () => readonly RouteEntry[]): MiddlewareHandler {
  let lookup: ((path: string) => string[] | undefined) | undefined;
  return async (c, next) => {
    lookup ??= allowedMethodsLookup(routes());
    const allowed = lookup(c.req.path);
    if (!allowed) return next();
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
    if (!isMethodAllowed(c.req.method, allowed)) {
      return c.json(errorBody('method_not_allowed', `${c.req.method} is not supported here; use ${allow}.`), 405, { Allow: allow });
    }
    return next();
  };
}

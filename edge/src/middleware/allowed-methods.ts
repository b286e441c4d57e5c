import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { allowedMethodsLookup, isMethodAllowed, type RouteEntry } from '@huddle/protocol';
import type { AppEnv } from '../env.ts';
import { methodNotAllowed } from '../lib/api-error.ts';

/**
 * 405 `method_not_allowed` with an `Allow` header for a method the path does not have
 * (a 404 would say the resource does not exist), and 204 with `Allow` for OPTIONS on
 * paths CORS does not answer. Paths no route matches fall through to the 404.
 * `routes` is read on the first request, once every route is registered (`app.routes`).
 */
export function allowedMethods(routes: () => readonly RouteEntry[]): MiddlewareHandler<AppEnv> {
  let lookup: ((path: string) => string[] | undefined) | undefined;
  return createMiddleware<AppEnv>(async (c, next) => {
    lookup ??= allowedMethodsLookup(routes());
    const allowed = lookup(c.req.path);
    if (!allowed) return next();
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allowed.join(', ') });
    if (!isMethodAllowed(c.req.method, allowed)) throw methodNotAllowed(c.req.method, allowed);
    return next();
  });
}

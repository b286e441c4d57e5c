import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.ts';
import { unauthorized } from '../lib/api-error.ts';
import { verifyAccessToken } from '../services/access-tokens.ts';
import { isSessionActive } from '../services/sessions.ts';

/**
 * Starts a read-only Redis read that the route will need, in the same tick as the
 * session check, so @upstash/redis sends both in one pipelined round trip. Its
 * result must not be used unless authentication succeeds (the middleware throws
 * before the handler runs otherwise).
 */
export type AuthPrefetch = (c: Context<AppEnv>) => void;

/**
 * Requires `Authorization: Bearer <access token>` whose session is still active;
 * sets `c.var.auth = { userId, sessionId }`. 401 otherwise.
 */
export function authenticate(prefetch?: AuthPrefetch): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized();
    const { config, redis } = c.var.deps;
    const claims = await verifyAccessToken(config, match[1]);
    const active = isSessionActive(redis, claims.sid);
    prefetch?.(c);
    if (!(await active)) throw unauthorized('Session revoked; log in again.');
    c.set('auth', { userId: claims.sub, sessionId: claims.sid });
    await next();
  });
}

/** Authentication without a prefetch: what most routes use. */
export const requireAuth = authenticate();

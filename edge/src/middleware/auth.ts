import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.ts';
import { unauthorized } from '../lib/api-error.ts';
import { verifyAccessToken } from '../services/access-tokens.ts';
import { isSessionActive } from '../services/sessions.ts';

/**
 * Requires `Authorization: Bearer <access token>` whose session is still active;
 * sets `c.var.auth = { userId, sessionId }`. 401 otherwise.
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized();
  const { config, redis } = c.var.deps;
  const claims = await verifyAccessToken(config, match[1]);
  if (!(await isSessionActive(redis, claims.sid))) throw unauthorized('Session revoked; log in again.');
  c.set('auth', { userId: claims.sub, sessionId: claims.sid });
  await next();
});

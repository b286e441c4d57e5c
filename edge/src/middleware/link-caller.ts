import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, LinkCaller } from '../env.ts';
import { unauthorized } from '../lib/api-error.ts';
import { verifyAccessToken } from '../services/access-tokens.ts';
import { looksLikeGuestToken, verifyGuest } from '../services/guests.ts';
import { rawRedis } from '../services/lobby/raw-redis.ts';
import { isSessionActive } from '../services/sessions.ts';

/** The bearer token of the request; undefined without an Authorization header, 401 when it is malformed. */
function bearerToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized();
  return match[1];
}

/** Who holds `token`: a signed-in user (access token, live session) or a guest (guest token, live guest session). 401 otherwise. */
async function identify(c: Context<AppEnv>, token: string): Promise<LinkCaller> {
  const { config, redis } = c.var.deps;
  if (looksLikeGuestToken(token)) {
    const guest = await verifyGuest({ config, redis: rawRedis(c.var.deps) }, token);
    return { kind: 'guest', userId: guest.userId, sessionId: guest.sessionId, meetingId: guest.meetingId, name: guest.name };
  }
  const claims = await verifyAccessToken(config, token);
  if (!(await isSessionActive(redis, claims.sid))) throw unauthorized('Session revoked; log in again.');
  return { kind: 'user', userId: claims.sub, sessionId: claims.sid };
}

/**
 * Link routes (/meetings/by-code/…) serve anonymous callers, signed-in users and guests:
 * without an Authorization header the caller is anonymous (`c.var.linkCaller` unset);
 * with one it must be a valid access or guest token (401 otherwise, never a silent
 * downgrade to anonymous).
 */
export const optionalLinkCaller = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c);
  if (token !== undefined) c.set('linkCaller', await identify(c, token));
  await next();
});

/**
 * A signed-in user or a guest (POST /meetings/{id}/join): sets `c.var.auth`, with
 * `guestMeetingId` for a guest, whose token reaches that one meeting only. 401 otherwise.
 */
export const requireUserOrGuest = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c);
  if (token === undefined) throw unauthorized();
  const caller = await identify(c, token);
  c.set('auth', {
    userId: caller.userId,
    sessionId: caller.sessionId,
    ...(caller.kind === 'guest' ? { guestMeetingId: caller.meetingId } : {}),
  });
  await next();
});

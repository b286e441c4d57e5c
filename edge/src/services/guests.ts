import type { Redis } from '@upstash/redis/cloudflare';
import { decodeJwt, jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { ACCESS_TOKEN_ISSUER, redisKeys } from '@huddle/protocol';
import type { EdgeConfig } from '../config.ts';
import { unauthorized } from '../lib/api-error.ts';
import { keyOf } from './access-tokens.ts';
import { hgetallRaw } from './lobby/raw-redis.ts';
import { newSessionId } from './refresh-tokens.ts';

// Guests: people who enter one meeting with its link without an account. A guest gets
// an identity for that visit — a user id (its `users` row, status `guest`, is written
// only when a host lets them in), a session `session:{sid}` in Redis (hash field `kind`
// = `guest`, so every check of a token's session covers guests too) and a guest token.
// The guest token is not an access token (another audience): the REST API refuses it
// everywhere except the link routes and `POST /meetings/{its meeting}/join`.

/** `aud` of guest tokens (HS256 with JWT_SECRET, issuer as access tokens). */
export const GUEST_TOKEN_AUDIENCE = 'huddle-guest';

const guestClaimsSchema = z.object({
  sub: z.uuid(),
  sid: z.string().min(16).max(64),
  /** The one meeting this guest may reach. */
  mid: z.uuid(),
  typ: z.literal('guest'),
  iat: z.number().int(),
  exp: z.number().int(),
});

/** A guest's visit, as its session stores it. */
export interface GuestSession {
  sessionId: string;
  userId: string;
  meetingId: string;
  /** Display name, as the guest typed it (validated: protocol guestNameSchema). */
  name: string;
  /** Client address that started it (rate-limit form). */
  ip: string;
}

/** What a guest keeps: the token for its link routes and join grants, and who it is. */
export interface GuestCredentials {
  token: string;
  userId: string;
  name: string;
  /** When the token and session end (ISO 8601). */
  expiresAt: string;
}

/** A new guest's ids: user id (UUID) and session id (128 random bits). Nothing is stored yet. */
export function newGuestIdentity(): { userId: string; sessionId: string } {
  return { userId: crypto.randomUUID(), sessionId: newSessionId() };
}

/**
 * Starts a guest's visit: stores the session (Redis hash, expiring after
 * lobby.guestSessionTtlSeconds) and signs a guest token of the same lifetime.
 */
export async function startGuestSession(
  deps: { config: EdgeConfig; redis: Redis },
  session: GuestSession,
): Promise<GuestCredentials> {
  const ttlSeconds = deps.config.lobby.guestSessionTtlSeconds;
  const key = redisKeys.session(session.sessionId);
  await deps.redis
    .multi()
    .hset(key, {
      kind: 'guest',
      userId: session.userId,
      meetingId: session.meetingId,
      name: session.name,
      ip: session.ip,
      createdAt: new Date().toISOString(),
    })
    .expire(key, ttlSeconds)
    .exec();
  const issuedAt = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sid: session.sessionId, mid: session.meetingId, typ: 'guest' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(session.userId)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(GUEST_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(await keyOf(deps.config));
  return {
    token,
    userId: session.userId,
    name: session.name,
    expiresAt: new Date((issuedAt + ttlSeconds) * 1000).toISOString(),
  };
}

/** True when `token` claims to be a guest token (unverified peek, to pick the verifier). */
export function looksLikeGuestToken(token: string): boolean {
  try {
    const payload = decodeJwt(token);
    return payload.typ === 'guest';
  } catch {
    return false;
  }
}

/**
 * Verifies a guest token (signature, issuer, audience, expiry, claims) and that its
 * session still lives and belongs to it. 401 otherwise. `redis` must return strings
 * unparsed (lobby/raw-redis.ts).
 */
export async function verifyGuest(deps: { config: EdgeConfig; redis: Redis }, token: string): Promise<GuestSession> {
  let claims: z.infer<typeof guestClaimsSchema>;
  try {
    const { payload } = await jwtVerify(token, await keyOf(deps.config), {
      algorithms: ['HS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: GUEST_TOKEN_AUDIENCE,
    });
    const parsed = guestClaimsSchema.safeParse(payload);
    if (!parsed.success) throw unauthorized('Invalid guest token.');
    claims = parsed.data;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized('Guest token expired; open the link again.');
    if (error instanceof joseErrors.JOSEError) throw unauthorized('Invalid guest token.');
    throw error;
  }
  const stored = await hgetallRaw(deps.redis, redisKeys.session(claims.sid));
  if (stored?.kind !== 'guest' || stored.userId !== claims.sub || stored.meetingId !== claims.mid) {
    throw unauthorized('Guest session ended; open the link again.');
  }
  return {
    sessionId: claims.sid,
    userId: claims.sub,
    meetingId: claims.mid,
    name: stored.name ?? '',
    ip: stored.ip ?? '',
  };
}

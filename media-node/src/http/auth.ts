import type { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import type { TokenVerifier } from 'livekit-server-sdk';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, accessTokenClaimsSchema, redisKeys } from '@huddle/protocol';
import { verifyJoinToken } from '../signaling/join-token.ts';
import { findMembership, type Database } from '@huddle/db';
import { findAttendance } from '../stores/participants.ts';

/** Who may read a meeting's history, or why not (HTTP status + stable code). */
export type HistoryAccess =
  | { ok: true; userId: string }
  | { ok: false; status: 401 | 403 | 404; code: string; message: string };

export interface HistoryAuthDeps {
  db: Database;
  redis: Redis;
  verifier: TokenVerifier;
  /** The edge's access-token secret as a key (HS256). */
  jwtKey: Uint8Array;
}

/**
 * Authorises a history read for `meetingId` with either credential the architecture names:
 * the edge's access JWT (HS256, iss/aud, live session `session:{sid}` in Redis — the edge's
 * rule) of a participant of the meeting, or a join token for that meeting's room whose
 * session still lives and whose invitation still stands. Removed participants read
 * nothing (403 `participant_removed`) until invited again; ended meetings stay readable.
 */
export async function authorizeHistory(deps: HistoryAuthDeps, token: string | undefined, meetingId: string): Promise<HistoryAccess> {
  if (!token) return { ok: false, status: 401, code: 'unauthorized', message: 'Missing bearer token.' };
  const access = await verifyAccessJwt(deps, token);
  if (access.kind === 'valid') {
    const membership = await findMembership(deps.db, meetingId, access.userId);
    // Unknown meetings and other people's meetings look the same, as on the edge.
    if (!membership || membership.participantStatus === 'declined') {
      return { ok: false, status: 404, code: 'not_found', message: 'No such meeting.' };
    }
    if (membership.participantStatus === 'removed') return removed();
    return { ok: true, userId: access.userId };
  }
  if (access.kind === 'expired') return { ok: false, status: 401, code: 'unauthorized', message: 'Access token expired.' };
  if (access.kind === 'revoked') return { ok: false, status: 401, code: 'unauthorized', message: 'Session ended.' };
  const join = await verifyJoinToken(deps.verifier, token);
  if (!join.ok) return { ok: false, status: 401, code: 'unauthorized', message: 'Invalid token.' };
  const { identity } = join;
  if (identity.meetingId !== meetingId) {
    return { ok: false, status: 403, code: 'forbidden', message: 'The token is for another meeting.' };
  }
  const [live, attendance] = await Promise.all([
    deps.redis.exists(redisKeys.session(identity.sessionId)),
    findAttendance(deps.db, meetingId, [identity.userId]),
  ]);
  if (live !== 1) return { ok: false, status: 401, code: 'unauthorized', message: 'Session ended.' };
  const row = attendance.get(identity.userId);
  if (!row || row.status === 'declined') return { ok: false, status: 404, code: 'not_found', message: 'No such meeting.' };
  if (row.status === 'removed') return removed();
  if (row.invitedAtMs !== identity.invitedAtMs) {
    return { ok: false, status: 401, code: 'unauthorized', message: 'The token predates your current invitation; join again.' };
  }
  return { ok: true, userId: identity.userId };
}

const removed = (): HistoryAccess => ({
  ok: false,
  status: 403,
  code: 'participant_removed',
  message: 'You were removed from this meeting; ask the host to invite you again.',
});

type AccessCheck = { kind: 'valid'; userId: string } | { kind: 'expired' } | { kind: 'revoked' } | { kind: 'not_access_token' };

async function verifyAccessJwt(deps: HistoryAuthDeps, token: string): Promise<AccessCheck> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, deps.jwtKey, {
      algorithms: ['HS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
    }));
  } catch (error) {
    // An expired access token is reported as such; anything else may be a join token.
    const code = (error as { code?: unknown }).code;
    const claim = (error as { claim?: unknown }).claim;
    if (code === 'ERR_JWT_EXPIRED' && claim === 'exp' && looksLikeAccessToken(token)) return { kind: 'expired' };
    return { kind: 'not_access_token' };
  }
  const claims = accessTokenClaimsSchema.safeParse(payload);
  if (!claims.success) return { kind: 'not_access_token' };
  const live = await deps.redis.exists(redisKeys.session(claims.data.sid));
  return live === 1 ? { kind: 'valid', userId: claims.data.sub.toLowerCase() } : { kind: 'revoked' };
}

function looksLikeAccessToken(token: string): boolean {
  try {
    const body = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { typ?: unknown };
    return body.typ === 'access';
  } catch {
    return false;
  }
}

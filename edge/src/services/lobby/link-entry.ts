import { eq } from 'drizzle-orm';
import { users } from '@huddle/db';
import { lobbyBlockSubject, redisKeys } from '@huddle/protocol';
import type { LinkCaller, RequestDeps } from '../../env.ts';
import { ApiError, badRequest, forbidden, unauthorized } from '../../lib/api-error.ts';
import { joinMeeting, type JoinGrant } from '../join.ts';
import { newGuestIdentity, startGuestSession, type GuestCredentials, type GuestSession } from '../guests.ts';
import { admitEntrant, meetingLocked } from './link-admission.ts';
import { chargeKnock } from './link-limits.ts';
import { announceKnock, announceLeft } from './lobby-announce.ts';
import { knock, type Knocker, type LobbyTiming } from './lobby-tickets.ts';
import { openLink, type OpenedLink } from './link-resolve.ts';
import { rawRedis } from './raw-redis.ts';

/** The answer to an entry: straight in (a join grant), or a ticket to wait on. */
export type EntryResult =
  | { status: 'admitted'; meetingId: string; grant: JoinGrant; guest?: GuestCredentials }
  | { status: 'waiting'; ticketId: string; expiresAt: string; guest?: GuestCredentials };

/** The lobby timing of this edge's config, in ms. */
export function lobbyTiming(deps: RequestDeps): LobbyTiming {
  const lobby = deps.config.lobby;
  return {
    presenceMs: lobby.presenceSeconds * 1000,
    waitMs: lobby.waitSeconds * 1000,
    waitingMax: lobby.waitingMax,
    knocksAnnouncedPerMinute: lobby.knocksAnnouncedPerMinute,
    blockSeconds: lobby.blockSeconds,
  };
}

/**
 * POST /meetings/by-code/{code}/entry. Participants get their join grant; signed-in
 * users get it too where the meeting has no lobby (`lobby: false`) and become
 * attendees; everyone else knocks and gets a ticket. An anonymous caller enters as a
 * guest with `displayName` (400 without one) and gets guest credentials. Errors: 401
 * `sign_in_required`, 403 `meeting_locked`, 403 `entry_blocked` (denied or removed
 * recently; `details.retryAfterSeconds`), 429 (`rate_limited`, `lobby_full`), 404 as
 * for an unknown code.
 */
export async function enterByCode(
  deps: RequestDeps,
  ip: string,
  code: string,
  callerIn: LinkCaller | undefined,
  body: { displayName?: string | undefined },
): Promise<EntryResult> {
  const link = await openLink(deps, ip, code, callerIn);
  const { meeting, caller } = link;
  switch (link.decision) {
    case 'participant': {
      // Removed a moment ago (the block outlives the removal's other effects): not by the link.
      const blockedMs = await rawRedis(deps).pttl(redisKeys.lobbyBlock(meeting.id, lobbyBlockSubject.user(caller!.userId)));
      if (blockedMs > 0) throw entryBlocked(blockedMs);
      return { status: 'admitted', meetingId: meeting.id, grant: await joinMeeting(deps, meeting.id, caller!) };
    }
    case 'sign_in_required':
      throw new ApiError(401, 'sign_in_required', 'This meeting takes signed-in users only; sign in and open the link again.', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    case 'locked':
      throw meetingLocked();
    case 'direct': {
      const user = await findUserNames(deps, caller!.userId);
      const entrant = { kind: 'user' as const, userId: caller!.userId, displayName: user.displayName, sessionId: caller!.sessionId };
      const grant = await admitEntrant(deps, meeting.id, entrant, caller!.userId);
      return { status: 'admitted', meetingId: meeting.id, grant };
    }
    case 'lobby':
      return knockOnLobby(deps, ip, link, body);
  }
}

async function knockOnLobby(deps: RequestDeps, ip: string, link: OpenedLink, body: { displayName?: string | undefined }): Promise<EntryResult> {
  const { meeting, caller } = link;
  await chargeKnock(deps.redis, deps.config.lobby.limits, ip, meeting.code);
  let knocker: Knocker;
  let newGuest: GuestSession | undefined;
  if (caller?.kind === 'user') {
    const user = await findUserNames(deps, caller.userId);
    knocker = { kind: 'user', userId: caller.userId, name: user.displayName, username: user.username, ip };
  } else if (caller?.kind === 'guest') {
    knocker = { kind: 'guest', userId: caller.userId, name: caller.name, ip };
  } else {
    if (body.displayName === undefined) throw badRequest('Guests need a display name (`displayName`).');
    newGuest = { ...newGuestIdentity(), meetingId: meeting.id, name: body.displayName, ip };
    knocker = { kind: 'guest', userId: newGuest.userId, name: newGuest.name, ip };
  }
  const redis = rawRedis(deps);
  const result = await knock(redis, meeting.id, knocker, lobbyTiming(deps));
  switch (result.status) {
    case 'blocked':
      throw entryBlocked(result.retryAfterMs);
    case 'full':
      await announceLeft(redis, meeting.id, result.gone, result.waiting);
      throw new ApiError(429, 'lobby_full', 'The lobby of this meeting is full; try again later.', {
        details: { retryAfterSeconds: 30 },
        headers: { 'Retry-After': '30' },
      });
    case 'existing': {
      const expiresAt = await redis.hget<string>(redisKeys.lobbyTicket(meeting.id, result.ticketId), 'expiresAt');
      return { status: 'waiting', ticketId: result.ticketId, expiresAt: new Date(Number(expiresAt ?? Date.now())).toISOString() };
    }
    case 'created': {
      const guest = newGuest ? await startGuestSession({ config: deps.config, redis }, newGuest) : undefined;
      await announceKnock(redis, { meetingId: meeting.id, ...result });
      if (result.gone.length > 0) await announceLeft(redis, meeting.id, result.gone, result.waiting);
      return {
        status: 'waiting',
        ticketId: result.ticketId,
        expiresAt: new Date(result.record.expiresAt).toISOString(),
        ...(guest ? { guest } : {}),
      };
    }
  }
}

/** 403 `entry_blocked`: denied or removed recently; Retry-After says for how long still. */
function entryBlocked(retryAfterMs: number): ApiError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiError(403, 'entry_blocked', 'You were turned away from this meeting recently; try again later.', {
    details: { retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** A user's shown name (full name, else username) and username; 401 when the account is gone or not active. */
export async function findUserNames(deps: RequestDeps, userId: string): Promise<{ displayName: string; username: string }> {
  const [row] = await deps
    .db()
    .db.select({ username: users.username, fullName: users.fullName, status: users.status })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!row) throw unauthorized('Account not found; sign in again.');
  if (row.status !== 'active') throw forbidden('This account cannot enter meetings by link.');
  return { displayName: row.fullName ?? row.username, username: row.username };
}

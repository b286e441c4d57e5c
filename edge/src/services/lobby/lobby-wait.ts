import type { LobbyDenialReason } from '@huddle/protocol';
import type { LinkCaller, RequestDeps } from '../../env.ts';
import { ApiError, conflict, unauthorized } from '../../lib/api-error.ts';
import type { JoinGrant } from '../join.ts';
import { hitRateLimits } from '../rate-limit.ts';
import { admitEntrant } from './link-admission.ts';
import { chargeLookup, linkLimitId, lookupCharged, refundMiss } from './link-limits.ts';
import { lobbyTiming } from './link-entry.ts';
import { announceLeft } from './lobby-announce.ts';
import { leaveTicket, redeemTicket, touchTicket } from './lobby-tickets.ts';
import { linkNotFound } from './link-resolve.ts';
import { findMeetingByCode, type LinkMeeting } from './meeting-by-code.ts';
import { rawRedis } from './raw-redis.ts';

/** Where a ticket stands, as its entrant is told. */
export type TicketStatus =
  | { status: 'waiting'; expiresAt: string }
  | { status: 'admitted'; meetingId: string; grant: JoinGrant }
  | { status: 'denied'; reason: LobbyDenialReason; message?: string };

/** Longest a poll waits for a change, in seconds (and never more than half the presence period). */
export const TICKET_WAIT_MAX_SECONDS = 25;
/** Polls of one entrant per minute (each may wait up to TICKET_WAIT_MAX_SECONDS). */
const POLLS_PER_MINUTE = 60;
/** Delays between reads while a poll waits, in ms; the last one repeats. */
const READ_DELAYS_MS = [250, 500, 1_000] as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The meeting of a code for the ticket routes, counting the lookup against the address's
 * miss budget. The miss is refunded only once the caller's own ticket is found there
 * (`ticketFound`): an unknown code and a known code without the caller's ticket answer
 * the same `linkNotFound()` and both cost a miss, so these routes tell a stranger no more
 * about codes than the preview does — whatever the meeting's entry mode or status.
 */
async function meetingOfTicket(deps: RequestDeps, ip: string, code: string, caller: LinkCaller | undefined): Promise<{ meeting: LinkMeeting; caller: LinkCaller }> {
  if (!caller) throw unauthorized('Send the access token or guest token you entered with.');
  await hitRateLimits(deps.redis, [{ identifier: linkLimitId('poll', caller.userId), limit: POLLS_PER_MINUTE, windowSeconds: 60 }]);
  const limits = deps.config.lobby.limits;
  await chargeLookup(deps.redis, limits, ip);
  const found = await lookupCharged(deps.redis, limits, ip, () => findMeetingByCode(deps.db().db, code));
  if (!found) throw linkNotFound();
  return { meeting: found.meeting, caller };
}

/** The caller's ticket exists for this code: the lookup was no miss. */
const ticketFound = (deps: RequestDeps, ip: string): Promise<void> => refundMiss(deps.redis, deps.config.lobby.limits, ip);

/**
 * GET /meetings/by-code/{code}/entry/{ticketId}?waitSeconds=: the entrant's long-poll.
 * Answers as soon as the ticket is settled, else after `waitSeconds` with `waiting`
 * (each read keeps the entrant present in the lobby). An admitted ticket is redeemed
 * here, once: the entrant becomes a participant and gets the join grant; presenting it
 * again is 409 `ticket_used`. Past its expiry: 409 `ticket_expired`. A ticket of another
 * meeting, of another caller, or unknown: the link routes' one 404 (`linkNotFound`).
 */
export async function waitForTicket(
  deps: RequestDeps,
  ip: string,
  code: string,
  ticketId: string,
  callerIn: LinkCaller | undefined,
  waitSeconds: number,
): Promise<TicketStatus> {
  const { meeting, caller } = await meetingOfTicket(deps, ip, code, callerIn);
  const redis = rawRedis(deps);
  const timing = lobbyTiming(deps);
  if (meeting.status === 'ended' || meeting.status === 'cancelled') {
    const left = await leaveTicket(redis, meeting.id, ticketId, caller.userId);
    if (left.status === 'gone') throw linkNotFound();
    await ticketFound(deps, ip);
    if ('waiting' in left) await announceLeft(redis, meeting.id, [ticketId], left.waiting);
    return { status: 'denied', reason: 'meeting_ended' };
  }
  // A poll never outlasts half the presence period: the next one comes before the entrant counts as gone.
  const deadline = Date.now() + Math.min(waitSeconds, deps.config.lobby.presenceSeconds / 2) * 1000;
  for (let attempt = 0; ; attempt++) {
    const read = await touchTicket(redis, meeting.id, ticketId, caller.userId, timing);
    if (read.status === 'gone') throw attempt === 0 ? linkNotFound() : conflict('ticket_closed', 'This ticket is gone; open the link again.');
    if (attempt === 0) await ticketFound(deps, ip);
    if (read.status === 'expired') {
      await announceLeft(redis, meeting.id, [ticketId], read.waiting);
      throw conflict('ticket_expired', 'This ticket expired before anyone let you in; open the link again.');
    }
    const { record } = read;
    switch (record.status) {
      case 'waiting':
        break;
      case 'admitted': {
        // Postgres first (idempotent), then the single-use switch: a failure in between
        // leaves the ticket admitted, and the next poll finishes the job.
        const grant = await admitEntrant(
          deps,
          meeting.id,
          { kind: record.kind, userId: record.userId, displayName: record.name, ip: record.ip, sessionId: caller.sessionId },
          record.decidedBy ?? record.userId,
        ).catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 'meeting_locked') return undefined;
          throw error;
        });
        // Let in, then the host locked the meeting before the grant was taken: nobody new enters.
        if (!grant) return { status: 'denied', reason: 'meeting_locked' };
        const redeemed = await redeemTicket(redis, meeting.id, ticketId, caller.userId);
        if (redeemed !== 'used_now') throw ticketUsed();
        return { status: 'admitted', meetingId: meeting.id, grant };
      }
      case 'denied':
        return { status: 'denied', reason: record.reason ?? 'host_denied', ...(record.message ? { message: record.message } : {}) };
      case 'used':
        throw ticketUsed();
      case 'left':
        throw conflict('ticket_closed', 'This ticket left the lobby; open the link again.');
    }
    const left = deadline - Date.now();
    if (left <= 0) return { status: 'waiting', expiresAt: new Date(record.expiresAt).toISOString() };
    await sleep(Math.min(left, READ_DELAYS_MS[Math.min(attempt, READ_DELAYS_MS.length - 1)]!));
  }
}

const ticketUsed = (): ApiError => conflict('ticket_used', 'This ticket was already exchanged for a join grant; join with the meeting id.');

/** DELETE /meetings/by-code/{code}/entry/{ticketId}: the entrant gives up waiting (idempotent; 404 for unknown tickets). */
export async function leaveLobby(deps: RequestDeps, ip: string, code: string, ticketId: string, callerIn: LinkCaller | undefined): Promise<void> {
  const { meeting, caller } = await meetingOfTicket(deps, ip, code, callerIn);
  const redis = rawRedis(deps);
  const left = await leaveTicket(redis, meeting.id, ticketId, caller.userId);
  if (left.status === 'gone') throw linkNotFound();
  await ticketFound(deps, ip);
  if ('waiting' in left) await announceLeft(redis, meeting.id, [ticketId], left.waiting);
}

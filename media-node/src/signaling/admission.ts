import type { Redis } from 'ioredis';
import type { Database } from '@huddle/db';
import { redisKeys, SIGNALING_CLOSE_CODES, type LeaveReason } from '@huddle/protocol';
import { findAttendance, markJoined, type Attendance } from '../stores/participants.ts';
import type { JoinIdentity } from './join-token.ts';

// Who may hold a signaling socket of a meeting, checked whenever it matters: at the
// upgrade (admission), at `join` (atomically with recording the join), when a revocation
// event arrives (MediaServer: meeting ended, participant removed, session revoked), and
// in the periodic sweep that catches events pub/sub lost. One rule for all of them.

/** Why a socket may not stay: the WebSocket close code and reason, and what the room is told. */
export interface Refusal {
  closeCode: number;
  reason: string;
  /** The `participant.left` reason when the socket was in the room. */
  leaveReason: LeaveReason;
}

/** What the checks read: Postgres and Redis. */
export interface AdmissionStores {
  db: Database;
  redis: Redis;
}

/** The session of a token has ended (logout, refresh-token reuse, disabled account, expiry). */
export const SESSION_ENDED: Refusal = {
  closeCode: SIGNALING_CLOSE_CODES.invalidToken,
  reason: 'session ended; sign in again',
  leaveReason: 'disconnected',
};

/** A host or cohost removed the participant. */
export const REMOVED: Refusal = { closeCode: SIGNALING_CLOSE_CODES.normal, reason: 'removed by the host', leaveReason: 'removed' };

/**
 * Why the holder of `identity` may not be in the meeting now, or undefined when they
 * may: the login session must live (4001 otherwise), the user must be a participant
 * who is not removed or declined, of the invitation the token was minted for, and the
 * meeting must be scheduled or ongoing (4003 otherwise).
 */
export function refusalFor(identity: JoinIdentity, attendance: Attendance | undefined, sessionLive: boolean): Refusal | undefined {
  if (!sessionLive) return SESSION_ENDED;
  const forbidden = (reason: string, leaveReason: LeaveReason = 'disconnected'): Refusal => ({
    closeCode: SIGNALING_CLOSE_CODES.forbidden,
    reason,
    leaveReason,
  });
  if (!attendance) return forbidden('not a participant of this meeting');
  if (attendance.status === 'removed') return forbidden('removed from this meeting by the host', 'removed');
  if (attendance.invitedAtMs !== identity.invitedAtMs) return forbidden('the token predates your current invitation; join again');
  if (attendance.status === 'declined') return forbidden('invitation declined');
  if (attendance.meetingStatus === 'ended' || attendance.meetingStatus === 'cancelled') {
    return forbidden(`meeting ${attendance.meetingStatus}`, 'meeting_ended');
  }
  return undefined;
}

/** Checks one token holder: the session in Redis and the participant row in Postgres, in parallel. */
export async function checkAdmission(stores: AdmissionStores, identity: JoinIdentity): Promise<Refusal | undefined> {
  const [live, attendance] = await Promise.all([
    stores.redis.exists(redisKeys.session(identity.sessionId)),
    findAttendance(stores.db, identity.meetingId, [identity.userId]),
  ]);
  return refusalFor(identity, attendance.get(identity.userId), live === 1);
}

/**
 * Checks many token holders at once (the sweep): one EXISTS per distinct session in one
 * pipeline, one query per meeting. Returns the refused ones.
 */
export async function checkAdmissions(
  stores: AdmissionStores,
  identities: readonly JoinIdentity[],
): Promise<Map<JoinIdentity, Refusal>> {
  const refused = new Map<JoinIdentity, Refusal>();
  if (identities.length === 0) return refused;
  const sessions = [...new Set(identities.map((i) => i.sessionId))];
  const pipeline = stores.redis.pipeline();
  for (const sid of sessions) pipeline.exists(redisKeys.session(sid));
  const replies = (await pipeline.exec()) ?? [];
  const live = new Set<string>();
  sessions.forEach((sid, i) => {
    const [error, count] = replies[i] ?? [new Error('no reply'), 0];
    // A failed EXISTS proves nothing: keep the socket, the next sweep asks again.
    if (error || count === 1) live.add(sid);
  });
  const byMeeting = new Map<string, JoinIdentity[]>();
  for (const identity of identities) {
    const list = byMeeting.get(identity.meetingId) ?? [];
    list.push(identity);
    byMeeting.set(identity.meetingId, list);
  }
  for (const [meetingId, members] of byMeeting) {
    const attendance = await findAttendance(stores.db, meetingId, [...new Set(members.map((m) => m.userId))]);
    for (const identity of members) {
      const refusal = refusalFor(identity, attendance.get(identity.userId), live.has(identity.sessionId));
      if (refusal) refused.set(identity, refusal);
    }
  }
  return refused;
}

/**
 * `join`: the session must live, then the participant row is marked joined by one
 * conditional statement (markJoined) that holds the rest of the rule, so an end or a
 * removal committed a moment earlier cannot be missed. On refusal, says why.
 */
export async function admitToRoom(stores: AdmissionStores, identity: JoinIdentity): Promise<Refusal | undefined> {
  if ((await stores.redis.exists(redisKeys.session(identity.sessionId))) !== 1) return SESSION_ENDED;
  if (await markJoined(stores, identity.meetingId, identity.userId, identity.invitedAtMs)) return undefined;
  return (
    (await checkAdmission(stores, identity)) ?? {
      closeCode: SIGNALING_CLOSE_CODES.forbidden,
      reason: 'not allowed in this meeting now',
      leaveReason: 'disconnected',
    }
  );
}

import { eq } from 'drizzle-orm';
import { findMembership, meetings, type Database, type MeetingStatus, type Membership, type ParticipantRole } from '@huddle/db';
import { ApiError, conflict, forbidden, notFound } from '../lib/api-error.ts';

/** 404 for unknown meetings and for meetings the caller is not in: the same body, so ids do not leak. */
export const meetingNotFound = (): ApiError => notFound('Meeting not found.');

/** 403 `participant_removed`: a host or cohost removed the caller; they are out until invited again. */
export const participantRemoved = (): ApiError =>
  new ApiError(403, 'participant_removed', 'You were removed from this meeting; ask the host to invite you again.');

/** Meetings in these states take no more changes. */
export const closedMeetingStatuses: readonly MeetingStatus[] = ['ended', 'cancelled'];

/**
 * The caller's membership, required to have one of `roles`: 404 when the meeting is
 * unknown or the caller is not in it, 403 `participant_removed` when they were removed,
 * 403 when they are in it but their role may not `action`.
 */
export async function requireRole(
  db: Database,
  meetingId: string,
  callerId: string,
  roles: readonly ParticipantRole[],
  action: string,
): Promise<Membership> {
  const membership = await findMembership(db, meetingId, callerId);
  if (!membership) throw meetingNotFound();
  if (membership.participantStatus === 'removed') throw participantRemoved();
  if (!roles.includes(membership.role)) {
    throw forbidden(`Only the ${roles.join(' or ')} may ${action} this meeting.`);
  }
  return membership;
}

/** 409 `invalid_state`: the meeting's current status does not allow this change. */
export const invalidState = (status: MeetingStatus, message: string): ApiError =>
  conflict('invalid_state', message, { status });

/** 409 `invalid_transition`: e.g. starting an ended meeting or ending one twice. */
export const invalidTransition = (from: MeetingStatus, to: MeetingStatus): ApiError =>
  conflict('invalid_transition', `A ${from} meeting cannot become ${to}.`, { from, to });

/** The meeting's current status (after a conditional update matched nothing), or 404. */
export async function currentStatus(db: Database, meetingId: string): Promise<MeetingStatus> {
  const [row] = await db.select({ status: meetings.status }).from(meetings).where(eq(meetings.id, meetingId));
  if (!row) throw meetingNotFound();
  return row.status;
}

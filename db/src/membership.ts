import { and, eq } from 'drizzle-orm';
import type { Database } from './client.ts';
import {
  meetingParticipants,
  meetings,
  type MeetingStatus,
  type ParticipantRole,
  type ParticipantStatus,
} from './schema.ts';

/** What a user is in a meeting: their role and status, and the meeting's status. */
export interface Membership {
  role: ParticipantRole;
  participantStatus: ParticipantStatus;
  meetingStatus: MeetingStatus;
  /** When the user was (last) invited: a re-invitation after a removal changes it (join tokens carry it). */
  invitedAt: Date;
}

/**
 * The user's membership of a meeting, or undefined when the meeting is unknown or they
 * are not in it. One indexed lookup; the edge (authorization) and the media node (room
 * admission, history reads) apply their own rules to it.
 */
export async function findMembership(db: Database, meetingId: string, userId: string): Promise<Membership | undefined> {
  const [row] = await db
    .select({
      role: meetingParticipants.role,
      participantStatus: meetingParticipants.status,
      meetingStatus: meetings.status,
      invitedAt: meetingParticipants.invitedAt,
    })
    .from(meetingParticipants)
    .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
    .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)))
    .limit(1);
  return row;
}

import { and, eq } from 'drizzle-orm';
import {
  meetingParticipants,
  meetings,
  type Database,
  type MeetingStatus,
  type ParticipantRole,
  type ParticipantStatus,
} from '@huddle/db';

/** What a user is in a meeting: their role and status, and the meeting's status. */
export interface Membership {
  meetingId: string;
  role: ParticipantRole;
  participantStatus: ParticipantStatus;
  meetingStatus: MeetingStatus;
}

/** The caller's membership of a meeting, or null when the meeting is unknown or they are not in it. */
export async function findMembership(db: Database, meetingId: string, userId: string): Promise<Membership | null> {
  const [row] = await db
    .select({
      meetingId: meetings.id,
      role: meetingParticipants.role,
      participantStatus: meetingParticipants.status,
      meetingStatus: meetings.status,
    })
    .from(meetingParticipants)
    .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
    .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)))
    .limit(1);
  return row ?? null;
}

/** Hosts and cohosts may manage a meeting; only the host may end or reschedule it. */
export const canModerate = (role: ParticipantRole): boolean => role === 'host' || role === 'cohost';

import { and, eq, sql } from 'drizzle-orm';
import { meetingParticipants, type Database, type Membership } from '@huddle/db';

/** True when the membership allows being in the room now (the same rule as the edge's join). */
export function mayEnterRoom(m: Membership | undefined): boolean {
  return m !== undefined && m.participantStatus !== 'declined' && m.meetingStatus !== 'ended' && m.meetingStatus !== 'cancelled';
}

/**
 * Records that the user entered the room: status joined, joined_at now, left_at cleared
 * (one joined_at/left_at pair per participant: the last visit, as the edge's stats expect).
 */
export async function markJoined(db: Database, meetingId: string, userId: string): Promise<void> {
  await db
    .update(meetingParticipants)
    .set({ status: 'joined', joinedAt: sql`now()`, leftAt: null })
    .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)));
}

/** Records that the user left: status left, left_at now (only while they are marked joined). */
export async function markLeft(db: Database, meetingId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.execute(sql`
    update meeting_participants
       set status = 'left', left_at = greatest(joined_at, now())
     where meeting_id = ${meetingId} and status = 'joined'
       and user_id in (${sql.join(userIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
}

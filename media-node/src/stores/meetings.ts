import { sql } from 'drizzle-orm';
import { writeMeetingStats, type Database } from '@huddle/db';
import type { MeetingStatsSummary } from '@huddle/protocol';

/** Outcome of ending a meeting from the room (host.endForAll). */
export type EndMeetingResult =
  | { status: 'ended'; endedAt: Date; stats: MeetingStatsSummary }
  /** Already ended or cancelled (e.g. by the edge a moment earlier): nothing was written. */
  | { status: 'not_active' };

/**
 * Ends a meeting in one transaction, as the edge's `POST /meetings/{id}/end` does: status
 * ended + ended_at, attendance of everyone still joined closed, and the meeting_stats row
 * (writeMeetingStats from @huddle/db, shared with the edge).
 */
export async function endMeeting(db: Database, meetingId: string): Promise<EndMeetingResult> {
  return db.transaction(async (tx) => {
    const updated = await tx.execute<{ started_at: string | Date | null; ended_at: string | Date }>(sql`
      update meetings
         set status = 'ended', ended_at = greatest(now(), coalesce(started_at, now())),
             started_at = coalesce(started_at, now())
       where id = ${meetingId} and status in ('scheduled', 'ongoing')
      returning started_at, ended_at`);
    const row = updated[0];
    if (!row) return { status: 'not_active' } as const;
    const startedAt = new Date(row.started_at ?? row.ended_at);
    const endedAt = new Date(row.ended_at);
    return { status: 'ended', endedAt, stats: await writeMeetingStats(tx, meetingId, startedAt, endedAt) };
  });
}

import { sql } from 'drizzle-orm';
import type { Database } from '@huddle/db';
import type { MeetingStatsSummary } from '@huddle/protocol';

/** Outcome of ending a meeting from the room (host.endForAll). */
export type EndMeetingResult =
  | { status: 'ended'; endedAt: Date; stats: MeetingStatsSummary }
  /** Already ended or cancelled (e.g. by the edge a moment earlier): nothing was written. */
  | { status: 'not_active' };

/**
 * Ends a meeting in one transaction, as the edge's `POST /meetings/{id}/end` does: status
 * ended + ended_at, attendance of everyone still joined closed, and the meeting_stats row.
 * The statistics SQL mirrors edge/src/services/meeting-stats.ts (media-node may not import
 * the edge); both should move into @huddle/db.
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
    const started = new Date(row.started_at ?? row.ended_at).toISOString();
    const ended = new Date(row.ended_at).toISOString();
    await tx.execute(sql`
      update meeting_participants
         set status = 'left', left_at = greatest(joined_at, ${ended}::timestamptz)
       where meeting_id = ${meetingId} and status = 'joined'`);
    const rows = await tx.execute<{
      participant_count: number;
      peak_participants: number;
      duration_seconds: number;
      total_participant_seconds: number;
    }>(sql`
      with visits as (
        select greatest(joined_at, ${started}::timestamptz) as from_t,
               least(coalesce(left_at, ${ended}::timestamptz), ${ended}::timestamptz) as to_t
          from meeting_participants
         where meeting_id = ${meetingId} and joined_at is not null
      ), edges as (
        select from_t as t, 1 as delta from visits where to_t >= from_t
        union all
        select to_t, -1 from visits where to_t >= from_t
      ), running as (
        select sum(delta) over (order by t, delta rows between unbounded preceding and current row) as present
          from edges
      )
      insert into meeting_stats (meeting_id, participant_count, peak_participants, duration_seconds, total_participant_seconds)
      select ${meetingId},
             (select count(*) from visits),
             coalesce((select max(present) from running), 0),
             greatest(0, floor(extract(epoch from (${ended}::timestamptz - ${started}::timestamptz)))),
             coalesce((select floor(sum(extract(epoch from (to_t - from_t)))) from visits where to_t >= from_t), 0)
      on conflict (meeting_id) do nothing
      returning participant_count, peak_participants, duration_seconds, total_participant_seconds`);
    const s = rows[0];
    return {
      status: 'ended',
      endedAt: new Date(ended),
      stats: {
        participantCount: Number(s?.participant_count ?? 0),
        peakParticipants: Number(s?.peak_participants ?? 0),
        durationSeconds: Number(s?.duration_seconds ?? 0),
        totalParticipantSeconds: Number(s?.total_participant_seconds ?? 0),
      },
    };
  });
}

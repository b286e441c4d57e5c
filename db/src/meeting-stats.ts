import { sql } from 'drizzle-orm';
import type { Transaction } from './client.ts';

/** What ending a meeting records in meeting_stats. */
export interface MeetingStatsTotals {
  participantCount: number;
  peakParticipants: number;
  durationSeconds: number;
  totalParticipantSeconds: number;
  chatMessageCount: number;
}

/**
 * Inside the end-meeting transaction: closes the attendance of everyone still in
 * the room (status joined → left at `endedAt`), then computes the meeting's
 * statistics from meeting_participants and inserts its meeting_stats row.
 *
 * Attendance is one joined_at/left_at pair per participant (the last visit), clamped
 * to [startedAt, endedAt]. Peak = most overlapping visits (a leave and a join at the
 * same instant do not overlap). Chat lives in MongoDB, out of the edge's reach: callers
 * pass `chatMessageCount`, read from the meeting's Redis counter
 * (redisKeys.meetingChatCount, kept by the media node). Used by the edge
 * (POST /meetings/{id}/end) and the media node (host.endForAll), each after its own
 * conditional status UPDATE.
 */
export async function writeMeetingStats(
  tx: Transaction,
  meetingId: string,
  startedAt: Date,
  endedAt: Date,
  chatMessageCount: number,
): Promise<MeetingStatsTotals> {
  if (!Number.isSafeInteger(chatMessageCount) || chatMessageCount < 0) {
    throw new RangeError(`writeMeetingStats: chatMessageCount must be a non-negative integer, got ${chatMessageCount}`);
  }
  const started = startedAt.toISOString();
  const ended = endedAt.toISOString();
  await tx.execute(sql`
    update meeting_participants
       set status = 'left', left_at = greatest(joined_at, ${ended}::timestamptz)
     where meeting_id = ${meetingId} and status = 'joined'`);
  const rows = await tx.execute<{
    participant_count: number;
    peak_participants: number;
    duration_seconds: number;
    total_participant_seconds: number;
    chat_message_count: number;
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
    insert into meeting_stats (meeting_id, participant_count, peak_participants, duration_seconds, total_participant_seconds, chat_message_count)
    select ${meetingId},
           (select count(*) from visits),
           coalesce((select max(present) from running), 0),
           greatest(0, floor(extract(epoch from (${ended}::timestamptz - ${started}::timestamptz)))),
           coalesce((select floor(sum(extract(epoch from (to_t - from_t)))) from visits where to_t >= from_t), 0),
           ${chatMessageCount}
    returning participant_count, peak_participants, duration_seconds, total_participant_seconds, chat_message_count`);
  const row = rows[0];
  if (!row) throw new Error(`meeting_stats insert for ${meetingId} returned no row`);
  return {
    participantCount: Number(row.participant_count),
    peakParticipants: Number(row.peak_participants),
    durationSeconds: Number(row.duration_seconds),
    totalParticipantSeconds: Number(row.total_participant_seconds),
    chatMessageCount: Number(row.chat_message_count),
  };
}

import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { findMembership, meetingStatusValues, type Database, type MeetingStatus } from '@huddle/db';
import { notFound } from '../lib/api-error.ts';
import { participantRemoved } from './meeting-guards.ts';

/** What the end screen shows: the meeting's statistics and, once the media node wrote them, its summary. */
export interface MeetingSummary {
  meetingId: string;
  title: string;
  status: MeetingStatus;
  startedAt: string | null;
  endedAt: string | null;
  stats: {
    participantCount: number;
    peakParticipants: number;
    durationSeconds: number;
    totalParticipantSeconds: number;
    chatMessageCount: number;
  } | null;
  /** Extractive summary sentences (null until summarised, or nothing was said or written). */
  summary: string[] | null;
  keywords: { term: string; score: number }[] | null;
  /** Talk time per speaker, most first. */
  talkTime: { userId: string; name: string; talkTimeMs: number }[] | null;
  summarizedAt: string | null;
}

// The row is read as JSON so the summary columns (written by the captions pipeline's
// migration) are optional here: absent columns read as null.
const statsRow = z.object({
  participant_count: z.number(),
  peak_participants: z.number(),
  duration_seconds: z.number(),
  total_participant_seconds: z.number(),
  chat_message_count: z.number(),
  summary: z.array(z.string()).nullish(),
  keywords: z.array(z.object({ term: z.string(), score: z.number() })).nullish(),
  talk_time: z.array(z.object({ userId: z.string(), name: z.string(), talkTimeMs: z.number() })).nullish(),
  summarized_at: z.string().nullish(),
});

const meetingRow = z.object({
  title: z.string(),
  status: z.enum(meetingStatusValues),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  stats: statsRow.nullable(),
});

const iso = (text: string | null | undefined): string | null => (text ? new Date(text).toISOString() : null);

/**
 * GET /meetings/{id}/summary for a participant (404 for anyone else, as for the meeting
 * itself; 403 `participant_removed` for a participant the host removed, until invited
 * again — what they were removed from includes its summary): statistics written when the meeting ended (null before), the summary,
 * keywords and talk time once the media node summarised it.
 */
export async function getMeetingSummary(db: Database, meetingId: string, userId: string): Promise<MeetingSummary> {
  const membership = await findMembership(db, meetingId, userId);
  if (!membership) throw notFound('No such meeting.');
  if (membership.participantStatus === 'removed') throw participantRemoved();
  const rows = await db.execute(sql`
    select m.title, m.status, m.started_at, m.ended_at, to_jsonb(s) - 'meeting_id' - 'created_at' as stats
      from meetings m left join meeting_stats s on s.meeting_id = m.id
     where m.id = ${meetingId}`);
  const row = meetingRow.parse(rows[0]);
  const s = row.stats;
  return {
    meetingId,
    title: row.title,
    status: row.status,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    stats: s
      ? {
          participantCount: s.participant_count,
          peakParticipants: s.peak_participants,
          durationSeconds: s.duration_seconds,
          totalParticipantSeconds: s.total_participant_seconds,
          chatMessageCount: s.chat_message_count,
        }
      : null,
    summary: s?.summary ?? null,
    keywords: s?.keywords ?? null,
    talkTime: s?.talk_time ?? null,
    summarizedAt: iso(s?.summarized_at),
  };
}

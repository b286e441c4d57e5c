import { sql } from 'drizzle-orm';
import type { Database } from '@huddle/db';
import { captionsEnabled, type TalkTimeEntry } from '@huddle/protocol';

/** What the captions of a room need to know about its meeting (PostgreSQL). */
export interface MeetingCaptionsInfo {
  /** Captions allowed by the meeting's settings (default on; `captions: false` = off). */
  enabled: boolean;
  /** When the meeting started (meeting time 0), ms since the epoch; now when it has not. */
  startedAtMs: number;
  /** The meeting's creator, named as the requester of end-of-meeting summaries. */
  creatorId: string;
}

/** Reads the meeting's captions setting, start and creator; undefined for an unknown meeting. */
export async function findMeetingCaptionsInfo(db: Database, meetingId: string): Promise<MeetingCaptionsInfo | undefined> {
  const rows = await db.execute<{ settings: unknown; started_at: string | Date | null; creator_id: string }>(sql`
    select settings, started_at, creator_id from meetings where id = ${meetingId}`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    enabled: captionsEnabled(row.settings),
    startedAtMs: row.started_at ? new Date(row.started_at).getTime() : Date.now(),
    creatorId: row.creator_id,
  };
}

/** Display names (full name, else username) of users, by id. */
export async function findUserNames(db: Database, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.execute<{ id: string; name: string }>(sql`
    select id, coalesce(full_name, username) as name from users
     where id in (${sql.join(userIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The end-of-meeting summary stored with the meeting's stats. */
export interface MeetingSummaryRecord {
  sentences: string[];
  keywords: { term: string; score: number }[];
  talkTime: TalkTimeEntry[];
}

/**
 * Stores the summary, keywords and talk-time table in the meeting's meeting_stats row
 * (written by the end-of-meeting transaction). Returns false when there is no stats row
 * or it was already summarised (another node got there first).
 */
export async function storeMeetingSummary(db: Database, meetingId: string, record: MeetingSummaryRecord): Promise<boolean> {
  const rows = await db.execute<{ meeting_id: string }>(sql`
    update meeting_stats
       set summary = ${JSON.stringify(record.sentences)}::jsonb,
           keywords = ${JSON.stringify(record.keywords)}::jsonb,
           talk_time = ${JSON.stringify(record.talkTime)}::jsonb,
           summarized_at = now()
     where meeting_id = ${meetingId} and summarized_at is null
    returning meeting_id`);
  return rows.length > 0;
}

import { sql } from 'drizzle-orm';
import type { Database, MeetingStatus, ParticipantRole, ParticipantStatus } from '@huddle/db';
import { resolveMeetingSettings, type ResolvedMeetingSettings } from '@huddle/protocol';

/** What link entry needs to know about a meeting found by its code. */
export interface LinkMeeting {
  id: string;
  code: string;
  title: string;
  status: MeetingStatus;
  startTime: Date;
  settings: ResolvedMeetingSettings;
  /** The host's full name, else their username. */
  hostName: string;
}

/** The caller's participant row in a meeting, if any. */
export interface LinkMembership {
  role: ParticipantRole;
  status: ParticipantStatus;
}

/**
 * The meeting whose code is `code` (already validated and lower-cased) and, when
 * `userId` is given, that user's participant row in it — one indexed query
 * (meetings_meeting_code_unique). Undefined when no meeting has the code.
 */
export async function findMeetingByCode(
  db: Database,
  code: string,
  userId?: string,
): Promise<{ meeting: LinkMeeting; membership: LinkMembership | undefined } | undefined> {
  const rows = await db.execute<{
    id: string;
    title: string;
    status: MeetingStatus;
    start_time: string | Date;
    settings: unknown;
    host_name: string | null;
    my_role: ParticipantRole | null;
    my_status: ParticipantStatus | null;
  }>(sql`
    select m.id, m.title, m.status, m.start_time, m.settings,
           (select coalesce(u.full_name, u.username)
              from meeting_participants h join users u on u.id = h.user_id
             where h.meeting_id = m.id and h.role = 'host' limit 1) as host_name,
           me.role as my_role, me.status as my_status
      from meetings m
      left join meeting_participants me on me.meeting_id = m.id and me.user_id = ${userId ?? null}::uuid
     where m.meeting_code = ${code}`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    meeting: {
      id: row.id,
      code,
      title: row.title,
      status: row.status,
      startTime: new Date(row.start_time),
      settings: resolveMeetingSettings(row.settings),
      hostName: row.host_name ?? 'the host',
    },
    membership: row.my_role && row.my_status ? { role: row.my_role, status: row.my_status } : undefined,
  };
}

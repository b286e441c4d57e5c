import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import type { Database, MeetingStatus, ParticipantRole, ParticipantStatus } from '@huddle/db';
import { invalidateMeetingCache } from './meeting-cache.ts';

// Participant rows as the media node writes them. Each write is one statement whose
// WHERE holds the rule (so a concurrent end or removal cannot slip between a check and
// the write), followed by invalidation of the edge's cached meeting view.

/** Postgres and Redis, which every write here touches. */
export interface ParticipantStores {
  db: Database;
  redis: Redis;
}

/** A participant row with its meeting's status, as admission checks read it. */
export interface Attendance {
  role: ParticipantRole;
  status: ParticipantStatus;
  meetingStatus: MeetingStatus;
  /** invited_at in ms since the epoch (join tokens carry it). */
  invitedAtMs: number;
}

/**
 * Records that the user entered the room — status joined, joined_at now, left_at
 * cleared (one joined_at/left_at pair per participant: the last visit, as the stats
 * expect) — only if the meeting is scheduled or ongoing, the user is neither declined
 * nor removed, and their invitation is still the one the token was minted for. The
 * meeting row is read FOR SHARE, so this waits for a concurrent end (or invitation)
 * to commit and then sees its result. False when the rule refused it (nothing written).
 */
export async function markJoined(
  stores: ParticipantStores,
  meetingId: string,
  userId: string,
  invitedAtMs: number,
): Promise<boolean> {
  const rows = await stores.db.execute(sql`
    with open_meeting as (
      select id from meetings
       where id = ${meetingId} and status in ('scheduled', 'ongoing')
         for share
    )
    update meeting_participants p
       set status = 'joined', joined_at = now(), left_at = null
      from open_meeting m
     where p.meeting_id = m.id and p.user_id = ${userId}
       and p.status not in ('declined', 'removed')
       and date_trunc('milliseconds', p.invited_at) = ${new Date(invitedAtMs).toISOString()}::timestamptz
    returning p.user_id`);
  if (rows.length === 0) return false;
  await invalidateMeetingCache(stores.redis, meetingId);
  return true;
}

/** Records that the users left: status left, left_at now (only while they are marked joined). */
export async function markLeft(stores: ParticipantStores, meetingId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const rows = await stores.db.execute(sql`
    update meeting_participants
       set status = 'left', left_at = greatest(joined_at, now())
     where meeting_id = ${meetingId} and status = 'joined'
       and user_id in (${sql.join(userIds.map((id) => sql`${id}::uuid`), sql`, `)})
    returning user_id`);
  if (rows.length > 0) await invalidateMeetingCache(stores.redis, meetingId);
}

/** Outcome of a removal. */
export type RemovalResult =
  | { status: 'removed' }
  /** Removed before (nothing changed): removing is idempotent. */
  | { status: 'already_removed' }
  | { status: 'not_found' }
  /** The target's role is out of the actor's reach (the host; a cohost for a cohost). */
  | { status: 'forbidden'; reason: string };

/**
 * host.remove: the participant becomes `removed` (their visit, if they were in the room,
 * ends now) and stays out until invited again. Nobody removes the host; only the host
 * removes a cohost; hosts and cohosts remove attendees and guests.
 */
export async function markRemoved(
  stores: ParticipantStores,
  meetingId: string,
  userId: string,
  actorRole: ParticipantRole,
): Promise<RemovalResult> {
  const removable = actorRole === 'host' ? sql`p.role <> 'host'` : sql`p.role in ('attendee', 'guest')`;
  const rows = await stores.db.execute(sql`
    update meeting_participants p
       set status = 'removed',
           left_at = case when p.status = 'joined' then greatest(p.joined_at, now()) else p.left_at end
     where p.meeting_id = ${meetingId} and p.user_id = ${userId} and p.status <> 'removed' and ${removable}
    returning p.user_id`);
  if (rows.length > 0) {
    await invalidateMeetingCache(stores.redis, meetingId);
    return { status: 'removed' };
  }
  const [row] = await stores.db.execute<{ role: ParticipantRole; status: ParticipantStatus }>(sql`
    select role, status from meeting_participants where meeting_id = ${meetingId} and user_id = ${userId}`);
  if (!row) return { status: 'not_found' };
  if (row.status === 'removed') return { status: 'already_removed' };
  return {
    status: 'forbidden',
    reason: row.role === 'host' ? 'the host cannot be removed' : 'only the host may remove a cohost',
  };
}

/**
 * Attendance rows of `userIds` in one meeting (one indexed query); users who are not
 * participants are absent from the map.
 */
export async function findAttendance(
  db: Database,
  meetingId: string,
  userIds: readonly string[],
): Promise<Map<string, Attendance>> {
  const out = new Map<string, Attendance>();
  if (userIds.length === 0) return out;
  const rows = await db.execute<{
    user_id: string;
    role: ParticipantRole;
    status: ParticipantStatus;
    meeting_status: MeetingStatus;
    invited_at_ms: string;
  }>(sql`
    select p.user_id, p.role, p.status, m.status as meeting_status,
           (extract(epoch from date_trunc('milliseconds', p.invited_at)) * 1000)::bigint::text as invited_at_ms
      from meeting_participants p
      join meetings m on m.id = p.meeting_id
     where p.meeting_id = ${meetingId}
       and p.user_id in (${sql.join(userIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
  for (const row of rows) {
    out.set(row.user_id, {
      role: row.role,
      status: row.status,
      meetingStatus: row.meeting_status,
      invitedAtMs: Number(row.invited_at_ms),
    });
  }
  return out;
}

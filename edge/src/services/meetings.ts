import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { meetingParticipants, meetings, type MeetingSettings, type MeetingStatus, type Transaction } from '@huddle/db';
import type { RequestDeps } from '../env.ts';
import { MEETING_CACHE_DEFAULTS, readMeetingThrough, type CachedMeetingPrefetch } from './meeting-cache.ts';
import { insertWithUniqueCode, type UniqueCodeOptions } from './meeting-codes.ts';
import { afterMeetingWrite, meetingEvent } from './meeting-events.ts';
import { meetingNotFound, participantRemoved } from './meeting-guards.ts';
import { insertInvitees, lockInvitableUsers, normaliseUserIds } from './meeting-invitees.ts';
import {
  loadMeetingView,
  meetingColumns,
  toSummaryView,
  type MeetingSummaryView,
  type MeetingView,
  type ParticipantView,
} from './meeting-view.ts';

/** A new meeting, already validated at the boundary. */
export interface CreateMeetingInput {
  title: string;
  startTime: Date;
  /** Minutes. */
  duration: number;
  invitedUserIds?: readonly string[] | undefined;
  settings?: MeetingSettings | undefined;
}

/**
 * Creates a meeting in ONE transaction: the meeting (with a fresh unique code), the
 * caller as host (accepted) and the invitees (pending attendees, one insert). An
 * invited id that names no active user fails the whole request (400 unknown_users)
 * before anything is written.
 */
export async function createMeeting(
  deps: RequestDeps,
  creatorId: string,
  input: CreateMeetingInput,
  codeOptions?: UniqueCodeOptions,
): Promise<MeetingView> {
  const inviteeIds = normaliseUserIds(input.invitedUserIds ?? [], creatorId);
  const { db } = deps.db();
  const meeting = await db.transaction(async (tx: Transaction) => {
    await lockInvitableUsers(tx, inviteeIds);
    const { value: meetingId } = await insertWithUniqueCode(
      tx,
      async (savepoint, code) => {
        const [row] = await savepoint
          .insert(meetings)
          .values({
            title: input.title,
            meetingCode: code,
            creatorId,
            startTime: input.startTime,
            durationMinutes: input.duration,
            settings: input.settings ?? {},
          })
          .returning({ id: meetings.id });
        if (!row) throw new Error('meeting insert returned no row');
        return row.id;
      },
      codeOptions,
    );
    await tx.insert(meetingParticipants).values({ meetingId, userId: creatorId, role: 'host', status: 'accepted' });
    await insertInvitees(tx, meetingId, inviteeIds);
    const view = await loadMeetingView(tx, meetingId);
    if (!view) throw new Error(`meeting ${meetingId} vanished inside its own transaction`);
    return view;
  });

  // Nothing can have cached a meeting this new except a "missing" sentinel for a
  // guessed id; afterMeetingWrite drops it, then announces.
  await afterMeetingWrite(
    deps.redis,
    meetingEvent('meeting.created', meeting.id, {
      title: meeting.title,
      meetingCode: meeting.meetingCode,
      creatorId: meeting.creatorId,
      startTime: meeting.startTime,
      duration: meeting.duration,
      participantIds: meeting.participants.map((p) => p.userId),
    }),
  );
  return meeting;
}

/**
 * A meeting with its participants, for a participant only: 404 (the same body)
 * for unknown ids and for everyone else, 403 `participant_removed` for a removed
 * participant (until invited again). Served from the Redis cache; membership
 * is checked against the cached participant list, so a hit costs no Postgres query.
 */
export async function getMeeting(
  deps: RequestDeps,
  callerId: string,
  meetingId: string,
  prefetch?: CachedMeetingPrefetch,
): Promise<MeetingView> {
  const first = prefetch?.meetingId === meetingId ? prefetch.value : undefined;
  const { meeting } = await readMeetingThrough(
    deps.redis,
    meetingId,
    () => loadMeetingView(deps.db().db, meetingId),
    MEETING_CACHE_DEFAULTS,
    first,
  );
  const caller = meeting?.participants.find((p: ParticipantView) => p.userId === callerId);
  if (!meeting || !caller) throw meetingNotFound();
  if (caller.status === 'removed') throw participantRemoved();
  return meeting;
}

/** Position in the caller's meeting list: the last item of the previous page. */
export interface MeetingCursor {
  /** start_time in microseconds since the epoch (exact, unlike a JS Date). */
  startTimeMicros: string;
  id: string;
}

export interface ListMeetingsInput {
  status?: MeetingStatus | undefined;
  /** 1..100. */
  limit: number;
  cursor?: MeetingCursor | undefined;
}

/** A list item: the meeting without participants, plus the caller's own role and status in it. */
export interface MeetingListItem extends MeetingSummaryView {
  membership: Pick<ParticipantView, 'role' | 'status'>;
}

export interface MeetingPage {
  items: MeetingListItem[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * A list position as text: `{start time in µs since the epoch}.{meeting id}`. Clients
 * treat it as opaque; the pattern is published so that every string it matches is a
 * position the query can use (17 digits of µs stay inside PostgreSQL's timestamp range).
 */
export const MEETING_CURSOR_PATTERN =
  /^-?[0-9]{1,17}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Cursor text for a position. */
export function encodeMeetingCursor(cursor: MeetingCursor): string {
  return `${cursor.startTimeMicros}.${cursor.id}`;
}

/** The position in a cursor, or undefined when the text is not a cursor of ours. */
export function decodeMeetingCursor(text: string): MeetingCursor | undefined {
  if (!MEETING_CURSOR_PATTERN.test(text)) return undefined;
  const dot = text.indexOf('.');
  return { startTimeMicros: text.slice(0, dot), id: text.slice(dot + 1) };
}

/**
 * The caller's meetings (any role, any participant status), newest start time
 * first, by keyset pagination on (start_time, id): stable under inserts, no
 * OFFSET scans, no total count.
 */
export async function listMeetings(deps: RequestDeps, callerId: string, input: ListMeetingsInput): Promise<MeetingPage> {
  const conditions: SQL[] = [eq(meetingParticipants.userId, callerId)];
  if (input.status) conditions.push(eq(meetings.status, input.status));
  if (input.cursor) {
    const { startTimeMicros, id } = input.cursor;
    conditions.push(
      sql`(${meetings.startTime}, ${meetings.id}) < (timestamptz 'epoch' + ${startTimeMicros}::bigint * interval '1 microsecond', ${id}::uuid)`,
    );
  }
  const rows = await deps
    .db()
    .db.select({
      ...meetingColumns,
      startTimeMicros: sql<string>`(extract(epoch from ${meetings.startTime}) * 1000000)::bigint::text`,
      role: meetingParticipants.role,
      participantStatus: meetingParticipants.status,
    })
    .from(meetingParticipants)
    .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
    .where(and(...conditions))
    .orderBy(desc(meetings.startTime), desc(meetings.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ role, participantStatus, startTimeMicros: _position, ...row }) => ({
      ...toSummaryView(row),
      membership: { role, status: participantStatus },
    })),
    nextCursor:
      rows.length > input.limit && last ? encodeMeetingCursor({ startTimeMicros: last.startTimeMicros, id: last.id }) : null,
  };
}

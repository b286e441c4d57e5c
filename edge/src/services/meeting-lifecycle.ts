import { and, eq, sql } from 'drizzle-orm';
import { meetings, type MeetingStatus, writeMeetingStats } from '@huddle/db';
import { redisKeys, type MeetingStatsSummary } from '@huddle/protocol';
import type { Redis } from '@upstash/redis/cloudflare';
import type { RequestDeps } from '../env.ts';
import { afterMeetingWrite, meetingEvent } from './meeting-events.ts';
import { currentStatus, invalidTransition, meetingNotFound, requireRole } from './meeting-guards.ts';
import { loadMeetingView, type MeetingView } from './meeting-view.ts';

// Millisecond precision, so the times survive the round trip through JS Dates exactly.
const nowMs = sql`date_trunc('milliseconds', clock_timestamp())`;

/** Thrown inside the end transaction to roll it back when the meeting was not ongoing. */
class NotOngoing extends Error {
  override name = 'NotOngoing';
}

/**
 * Host only: scheduled → ongoing, stamping started_at. A conditional UPDATE (WHERE
 * status = 'scheduled'), so concurrent starts cannot both succeed; anything else
 * is 409 invalid_transition.
 */
export async function startMeeting(deps: RequestDeps, callerId: string, meetingId: string): Promise<MeetingView> {
  const { db } = deps.db();
  await requireRole(db, meetingId, callerId, ['host'], 'start');
  const [row] = await db
    .update(meetings)
    .set({ status: 'ongoing', startedAt: nowMs })
    .where(and(eq(meetings.id, meetingId), eq(meetings.status, 'scheduled')))
    .returning({ startedAt: meetings.startedAt });
  if (!row?.startedAt) throw invalidTransition(await currentStatus(db, meetingId), 'ongoing');
  await afterMeetingWrite(
    deps.redis,
    meetingEvent('meeting.started', meetingId, { startedAt: row.startedAt.toISOString(), startedBy: callerId }),
  );
  return reload(deps, meetingId);
}

/**
 * Host only: ongoing → ended in ONE transaction with the meeting_stats row (see
 * writeMeetingStats). The conditional UPDATE (WHERE status = 'ongoing') takes the
 * row lock first, so of two concurrent /end calls exactly one ends the meeting and
 * writes stats; the other re-checks the committed row and gets 409.
 */
export async function endMeeting(deps: RequestDeps, callerId: string, meetingId: string): Promise<MeetingView> {
  const { db } = deps.db();
  await requireRole(db, meetingId, callerId, ['host'], 'end');
  let ended: { endedAt: Date; stats: MeetingStatsSummary };
  try {
    ended = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(meetings)
        .set({ status: 'ended', endedAt: sql`greatest(${nowMs}, ${meetings.startedAt})` })
        .where(and(eq(meetings.id, meetingId), eq(meetings.status, 'ongoing')))
        .returning({ startedAt: meetings.startedAt, endedAt: meetings.endedAt });
      if (!row) throw new NotOngoing();
      // An ongoing meeting always has started_at (startMeeting sets both); be safe anyway.
      const startedAt = row.startedAt ?? row.endedAt;
      if (!startedAt || !row.endedAt) throw new Error(`meeting ${meetingId} ended without timestamps`);
      // Read after the row lock is taken, so messages stored until now are counted.
      const chatMessageCount = await readChatMessageCount(deps.redis, meetingId);
      const stats = await writeMeetingStats(tx, meetingId, startedAt, row.endedAt, chatMessageCount);
      return { endedAt: row.endedAt, stats };
    });
  } catch (error) {
    if (!(error instanceof NotOngoing)) throw error;
    const from: MeetingStatus = await currentStatus(db, meetingId);
    throw invalidTransition(from, 'ended');
  }
  await afterMeetingWrite(
    deps.redis,
    meetingEvent('meeting.ended', meetingId, {
      endedAt: ended.endedAt.toISOString(),
      endedBy: callerId,
      stats: ended.stats,
    }),
  );
  return reload(deps, meetingId);
}

/**
 * Chat messages stored for the meeting so far: the media node's Redis counter
 * (redisKeys.meetingChatCount), 0 when there is none. @upstash/redis JSON-parses the
 * value, so it arrives as a number.
 */
export async function readChatMessageCount(redis: Redis, meetingId: string): Promise<number> {
  const value = Number(await redis.get<unknown>(redisKeys.meetingChatCount(meetingId)));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

async function reload(deps: RequestDeps, meetingId: string): Promise<MeetingView> {
  const view = await loadMeetingView(deps.db().db, meetingId);
  if (!view) throw meetingNotFound();
  return view;
}

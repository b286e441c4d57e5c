import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { writeMeetingStats, type Database } from '@huddle/db';
import { redisKeys, type MeetingEvent, type MeetingStatsSummary } from '@huddle/protocol';
import { readChatCount } from './chat-count.ts';
import { invalidateMeetingCache } from './meeting-cache.ts';

/** Outcome of ending a meeting from the room (host.endForAll). */
export type EndMeetingResult =
  | { status: 'ended'; endedAt: Date; stats: MeetingStatsSummary }
  /** Already ended or cancelled (e.g. by the edge a moment earlier): nothing was written. */
  | { status: 'not_active' };

/**
 * Ends a meeting in one transaction, as the edge's `POST /meetings/{id}/end` does: status
 * ended + ended_at, attendance of everyone still joined closed, and the meeting_stats row
 * (writeMeetingStats from @huddle/db, shared with the edge) with the chat messages
 * counted in Redis, read once the row is locked. The edge's cached view is invalidated
 * after the commit.
 */
export async function endMeeting(stores: { db: Database; redis: Redis }, meetingId: string): Promise<EndMeetingResult> {
  const result = await stores.db.transaction(async (tx): Promise<EndMeetingResult> => {
    const updated = await tx.execute<{ started_at: string | Date | null; ended_at: string | Date }>(sql`
      update meetings
         set status = 'ended', ended_at = greatest(now(), coalesce(started_at, now())),
             started_at = coalesce(started_at, now())
       where id = ${meetingId} and status in ('scheduled', 'ongoing')
      returning started_at, ended_at`);
    const row = updated[0];
    if (!row) return { status: 'not_active' };
    const startedAt = new Date(row.started_at ?? row.ended_at);
    const endedAt = new Date(row.ended_at);
    const chatMessageCount = await readChatCount(stores.redis, meetingId);
    return { status: 'ended', endedAt, stats: await writeMeetingStats(tx, meetingId, startedAt, endedAt, chatMessageCount) };
  });
  if (result.status === 'ended') await invalidateMeetingCache(stores.redis, meetingId);
  return result;
}

/**
 * Publishes a lifecycle event as the edge does: on the meeting's channel and on the
 * all-meetings channel `meeting_events`, which every media node subscribes to.
 */
export async function publishMeetingEvent(redis: Redis, event: MeetingEvent): Promise<void> {
  const json = JSON.stringify(event);
  await redis.multi().publish(redisKeys.meetingEvents(event.meetingId), json).publish(redisKeys.allMeetingEvents, json).exec();
}

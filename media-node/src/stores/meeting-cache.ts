import type { Redis } from 'ioredis';
import { MEETING_CACHE_GENERATION_TTL_MS, MEETING_CACHE_INVALIDATE_SCRIPT, meetingCacheKeys, redisKeys } from '@huddle/protocol';

/**
 * Drops the edge's cached view of a meeting (`meeting:{id}`) and bumps its generation,
 * after a committed write by this node to something the view shows (participant status,
 * meeting status). The same script as the edge's, so an edge read that loaded Postgres
 * before this write cannot fill the old state back. Run it after the commit.
 */
export async function invalidateMeetingCache(redis: Redis, meetingId: string): Promise<void> {
  await redis.eval(
    MEETING_CACHE_INVALIDATE_SCRIPT,
    2,
    redisKeys.meeting(meetingId),
    meetingCacheKeys.generation(meetingId),
    String(MEETING_CACHE_GENERATION_TTL_MS),
  );
}

import type { Redis } from 'ioredis';
import { redisKeys } from '@huddle/protocol';

/** How long a meeting's chat counter outlives its last message, in seconds (a meeting lasts at most a day). */
export const CHAT_COUNT_TTL_SECONDS = 7 * 86_400;

/**
 * Counts one stored chat message of the meeting (`meeting:{id}:chat_count`), for
 * meeting_stats.chat_message_count. Called only for newly stored messages, never for a
 * retried send that found its original, so the count equals the messages in MongoDB.
 */
export async function countChatMessage(redis: Redis, meetingId: string): Promise<void> {
  const key = redisKeys.meetingChatCount(meetingId);
  await redis.multi().incr(key).expire(key, CHAT_COUNT_TTL_SECONDS).exec();
}

/** Messages counted for the meeting so far (0 when none). */
export async function readChatCount(redis: Redis, meetingId: string): Promise<number> {
  const value = Number(await redis.get(redisKeys.meetingChatCount(meetingId)));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

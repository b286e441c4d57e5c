import type { Redis } from '@upstash/redis/cloudflare';
import { redisKeys } from '@huddle/protocol';

/**
 * Login sessions live in Redis under `session:{sid}` with the refresh-token TTL.
 * An access token is honoured only while its session exists, so deleting the key
 * (logout, refresh-token reuse) revokes every token of that login at once.
 */
export async function isSessionActive(redis: Redis, sessionId: string): Promise<boolean> {
  return (await redis.exists(redisKeys.session(sessionId))) === 1;
}

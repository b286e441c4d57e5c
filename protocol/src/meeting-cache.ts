// The cached meeting view `meeting:{id}` (redisKeys.meeting) is filled by the edge
// (cache-aside with a loader lock and a generation check, edge/src/services/meeting-cache.ts)
// and must be invalidated by every writer of what it contains — the edge and the media
// node alike (status, settings, participants and their statuses). Invalidating means
// bumping the generation and deleting the value in one step, so a fill that read
// Postgres before the write cannot put the old state back after it.

/** Keys next to the cached value. */
export const meetingCacheKeys = {
  /** Loader lock (SET NX PX, token-checked release). */
  lock: (meetingId: string) => `meeting-cache:lock:${meetingId}`,
  /** Generation counter, bumped by every invalidation. */
  generation: (meetingId: string) => `meeting-cache:gen:${meetingId}`,
};

/** How long a generation counter outlives its last write, in ms; far longer than any load. */
export const MEETING_CACHE_GENERATION_TTL_MS = 86_400_000;

/**
 * Lua: KEYS[1] the cached meeting, KEYS[2] its generation counter; ARGV[1] the counter's
 * TTL in ms. Bumps the generation, then deletes the value. Run it after the write commits.
 */
export const MEETING_CACHE_INVALIDATE_SCRIPT = `
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`;

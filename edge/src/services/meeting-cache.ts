import type { Redis } from '@upstash/redis/cloudflare';
import {
  MEETING_CACHE_GENERATION_TTL_MS,
  MEETING_CACHE_INVALIDATE_SCRIPT,
  meetingCacheKeys,
  redisKeys,
} from '@huddle/protocol';
import type { MeetingView } from './meeting-view.ts';

// Cache-aside for GET /meetings/{id} under `meeting:{id}` (redisKeys.meeting):
// - avalanche: every entry lives ttl + random jitter, so entries filled together
//   do not expire together;
// - penetration: ids that do not exist are cached briefly as a sentinel;
// - breakdown: on a miss one request takes a short Redis lock and loads from
//   Postgres; the others poll the cache with bounded backoff and go to Postgres
//   themselves only when the winner failed (lock gone, still no value) or the
//   wait ran out;
// - stale fills: writers bump a generation counter with the invalidation, and a
//   loader fills only if the generation it saw before loading is unchanged, so a
//   read that raced a write cannot put the old state back after the DEL.
// - every writer invalidates: the edge after its meeting writes, the media node after
//   joins, leaves, removals and host.endForAll (protocol/src/meeting-cache.ts).

/** Tuning of the meeting cache. */
export interface MeetingCacheOptions {
  /** Base lifetime of a cached meeting, in seconds. */
  ttlSeconds: number;
  /** Up to this fraction of ttlSeconds is added at random (0.2 = up to +20 %). */
  jitterRatio: number;
  /** Lifetime of the "does not exist" sentinel, in seconds. */
  missingTtlSeconds: number;
  /** Lifetime of the loader lock (a crashed loader blocks others at most this long), in ms. */
  lockTtlMs: number;
  /** Longest a request waits for another request's load before loading itself, in ms. */
  waitMaxMs: number;
  /** First poll delay while waiting, in ms; doubles up to pollMaxMs, each delay ±25 % at random. */
  pollInitialMs: number;
  pollMaxMs: number;
}

export const MEETING_CACHE_DEFAULTS: MeetingCacheOptions = {
  ttlSeconds: 300,
  jitterRatio: 0.2,
  missingTtlSeconds: 30,
  lockTtlMs: 5_000,
  waitMaxMs: 2_000,
  pollInitialMs: 25,
  pollMaxMs: 200,
};

/** Stored under `meeting:{id}` for ids that do not exist. Not JSON, so no meeting can look like it. */
export const MEETING_MISSING_SENTINEL = '!missing';

/** Keys next to the cached value (shared with the media node, which invalidates too). */
export { meetingCacheKeys };

/** Where a read was answered from (for tests and logs). */
export type MeetingCacheSource = 'cache' | 'database' | 'waited';

export interface MeetingCacheRead {
  meeting: MeetingView | null;
  source: MeetingCacheSource;
}

/** A TTL in ms within [ttlSeconds, ttlSeconds * (1 + jitterRatio)). */
export function meetingTtlMs(options: MeetingCacheOptions = MEETING_CACHE_DEFAULTS, random: () => number = Math.random): number {
  const baseMs = options.ttlSeconds * 1_000;
  return baseMs + Math.floor(random() * baseMs * options.jitterRatio);
}

const FILL_SCRIPT = `
local current = redis.call('GET', KEYS[2]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Decoded = { kind: 'hit'; meeting: MeetingView } | { kind: 'missing' } | { kind: 'empty' };

// @upstash/redis JSON-parses values it can: a meeting comes back as an object,
// the sentinel (not JSON) as the raw string.
function decode(value: unknown, meetingId: string): Decoded {
  if (value === MEETING_MISSING_SENTINEL) return { kind: 'missing' };
  const candidate = typeof value === 'string' ? safeJson(value) : value;
  if (isMeetingView(candidate) && candidate.id === meetingId) return { kind: 'hit', meeting: candidate };
  return { kind: 'empty' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not ours: treated as a miss and overwritten by the next fill
  }
}

function isMeetingView(value: unknown): value is MeetingView {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<MeetingView>;
  return typeof v.id === 'string' && typeof v.status === 'string' && Array.isArray(v.participants);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The meeting `meetingId` (with participants) through the cache; `load` reads it
 * from Postgres and must return null when it does not exist. A cold key reaches
 * `load` once per burst (see the header of this file).
 */
export async function readMeetingThrough(
  redis: Redis,
  meetingId: string,
  load: () => Promise<MeetingView | null>,
  options: MeetingCacheOptions = MEETING_CACHE_DEFAULTS,
  prefetched?: Promise<unknown>,
): Promise<MeetingCacheRead> {
  const key = redisKeys.meeting(meetingId);
  const early = prefetched === undefined ? undefined : await prefetched;
  const first = decode(early === undefined ? await redis.get<unknown>(key) : early, meetingId);
  if (first.kind !== 'empty') return { meeting: first.kind === 'hit' ? first.meeting : null, source: 'cache' };

  const lockKey = meetingCacheKeys.lock(meetingId);
  const deadline = Date.now() + options.waitMaxMs;
  let delayMs = options.pollInitialMs;
  while (Date.now() < deadline) {
    const token = crypto.randomUUID();
    // Read the value again after taking the lock: a loader that filled and released
    // between our miss and our SET NX must not make us load a second time.
    const [acquired, generation, value] = await redis
      .pipeline()
      .set(lockKey, token, { nx: true, px: options.lockTtlMs })
      .get<unknown>(meetingCacheKeys.generation(meetingId))
      .get<unknown>(key)
      .exec<[string | null, unknown, unknown]>();
    if (acquired === 'OK') {
      try {
        const filled = decode(value, meetingId);
        if (filled.kind !== 'empty') return { meeting: filled.kind === 'hit' ? filled.meeting : null, source: 'waited' };
        return { meeting: await loadAndFill(redis, meetingId, load, generation, options), source: 'database' };
      } finally {
        await redis.eval(RELEASE_SCRIPT, [lockKey], [token]);
      }
    }
    // Another request is loading: wait for its fill.
    while (Date.now() < deadline) {
      // Jittered, so a burst of waiters does not poll Redis in lockstep.
      await sleep(Math.min(delayMs * (0.75 + Math.random() / 2), Math.max(0, deadline - Date.now())));
      delayMs = Math.min(delayMs * 2, options.pollMaxMs);
      const [value, holder] = await redis.mget<[unknown, unknown]>(key, lockKey);
      const seen = decode(value, meetingId);
      if (seen.kind !== 'empty') return { meeting: seen.kind === 'hit' ? seen.meeting : null, source: 'waited' };
      if (holder === null) break; // the loader gave up without filling: try to take over
    }
  }
  // Waited long enough: load without the lock (still a gen-checked fill).
  const generation = await redis.get<unknown>(meetingCacheKeys.generation(meetingId));
  return { meeting: await loadAndFill(redis, meetingId, load, generation, options), source: 'database' };
}

async function loadAndFill(
  redis: Redis,
  meetingId: string,
  load: () => Promise<MeetingView | null>,
  generation: unknown,
  options: MeetingCacheOptions,
): Promise<MeetingView | null> {
  const meeting = await load();
  const value = meeting ? JSON.stringify(meeting) : MEETING_MISSING_SENTINEL;
  const ttlMs = meeting ? meetingTtlMs(options) : options.missingTtlSeconds * 1_000;
  await redis.eval(
    FILL_SCRIPT,
    [redisKeys.meeting(meetingId), meetingCacheKeys.generation(meetingId)],
    [generation === null || generation === undefined ? '' : String(generation), value, String(ttlMs)],
  );
  return meeting;
}

/**
 * Drops the cached meeting (or its sentinel) after a committed write and bumps its
 * generation, so loads that started before the write do not fill the old state. The
 * media node runs the same script after its own writes (joins, leaves, removals, end).
 */
export async function invalidateMeeting(redis: Redis, meetingId: string): Promise<void> {
  await redis.eval(
    MEETING_CACHE_INVALIDATE_SCRIPT,
    [redisKeys.meeting(meetingId), meetingCacheKeys.generation(meetingId)],
    [String(MEETING_CACHE_GENERATION_TTL_MS)],
  );
}

/** A cached-meeting read started before the route's validation ran. */
export interface CachedMeetingPrefetch {
  meetingId: string;
  /** The raw cached value; undefined when the read failed (then read again). */
  value: Promise<unknown>;
}

/**
 * Starts the cache read of a meeting ahead of time (see authenticate()'s prefetch):
 * a failed read resolves to undefined, so it never surfaces as an unhandled rejection
 * when authentication fails first.
 */
export function startCachedMeetingRead(redis: Redis, meetingId: string): CachedMeetingPrefetch {
  return { meetingId, value: redis.get<unknown>(redisKeys.meeting(meetingId)).catch(() => undefined) };
}

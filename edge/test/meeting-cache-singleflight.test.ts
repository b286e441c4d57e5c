// readMeetingThrough() in Node with the real @upstash/redis client against the
// gateway, with loaders the test controls: a failing winner, a slow winner, and a
// write that races a load.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from '@upstash/redis';
import type { Redis as WorkerRedis } from '@upstash/redis/cloudflare';
import { redisKeys } from '@huddle/protocol';
import {
  invalidateMeeting,
  meetingCacheKeys,
  meetingTtlMs,
  MEETING_CACHE_DEFAULTS,
  readMeetingThrough,
  type MeetingCacheOptions,
} from '../src/services/meeting-cache.ts';
import type { MeetingView } from '../src/services/meeting-view.ts';
import { openRedis, unknownId } from './meetings-fixtures.ts';

const upstash = new Redis({
  url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
  token: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token',
}) as unknown as WorkerRedis;
const tcp = openRedis();
const touched: string[] = [];
afterAll(async () => {
  if (touched.length > 0) {
    await tcp.del(...touched.flatMap((id) => [redisKeys.meeting(id), meetingCacheKeys.lock(id), meetingCacheKeys.generation(id)]));
  }
  await tcp.quit();
});

function fakeMeeting(id: string, title = 'Cached'): MeetingView {
  const now = new Date().toISOString();
  return {
    id,
    title,
    meetingCode: 'abc-defg-hij',
    creatorId: id,
    startTime: now,
    duration: 30,
    status: 'scheduled',
    settings: {},
    startedAt: null,
    endedAt: null,
    createdAt: now,
    updatedAt: now,
    participants: [{ userId: id, role: 'host', status: 'accepted' }],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newId = () => {
  const id = unknownId();
  touched.push(id);
  return id;
};

describe('readMeetingThrough', () => {
  it('loads once for a concurrent burst; the others wait for the fill', async () => {
    const id = newId();
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(150);
      return fakeMeeting(id);
    };
    const reads = await Promise.all(Array.from({ length: 30 }, () => readMeetingThrough(upstash, id, load)));
    expect(loads).toBe(1);
    expect(reads.every((r) => r.meeting?.id === id)).toBe(true);
    expect(reads.filter((r) => r.source === 'database')).toHaveLength(1);
    expect(reads.filter((r) => r.source === 'waited').length).toBeGreaterThan(0);
    expect((await readMeetingThrough(upstash, id, load)).source).toBe('cache');
    expect(await tcp.exists(meetingCacheKeys.lock(id))).toBe(0);
  });

  it('when the winner fails, one waiter takes over and the rest get its result', async () => {
    const id = newId();
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(100);
      if (loads === 1) throw new Error('database went away');
      return fakeMeeting(id);
    };
    const reads = await Promise.allSettled(Array.from({ length: 20 }, () => readMeetingThrough(upstash, id, load)));
    const failed = reads.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(loads).toBe(2);
    const ok = reads.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(ok.every((r) => r.meeting?.id === id)).toBe(true);
  });

  it('bounds the wait: a stuck winner delays the others by about waitMaxMs, then they load themselves', async () => {
    const id = newId();
    const options: MeetingCacheOptions = { ...MEETING_CACHE_DEFAULTS, waitMaxMs: 300, lockTtlMs: 10_000 };
    let loads = 0;
    const load = async () => {
      loads++;
      if (loads === 1) await sleep(1_500); // holds the lock well past the others' patience
      return fakeMeeting(id);
    };
    const winner = readMeetingThrough(upstash, id, load, options);
    await sleep(50);
    const started = performance.now();
    const waiter = await readMeetingThrough(upstash, id, load, options);
    const waitedMs = performance.now() - started;
    expect(waiter).toMatchObject({ source: 'database', meeting: { id } });
    expect(waitedMs).toBeGreaterThanOrEqual(250);
    expect(waitedMs).toBeLessThan(1_200);
    await winner;
  });

  it('caches "missing" as a short-lived sentinel', async () => {
    const id = newId();
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    expect(await readMeetingThrough(upstash, id, load)).toEqual({ meeting: null, source: 'database' });
    expect(await readMeetingThrough(upstash, id, load)).toEqual({ meeting: null, source: 'cache' });
    expect(loads).toBe(1);
    const ttl = await tcp.pttl(redisKeys.meeting(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MEETING_CACHE_DEFAULTS.missingTtlSeconds * 1_000);
  });

  it('a load that raced a write does not put the old state back', async () => {
    const id = newId();
    const stale = readMeetingThrough(upstash, id, async () => {
      const old = fakeMeeting(id, 'Old title');
      // The write commits and invalidates while this load is in flight.
      await invalidateMeeting(upstash, id);
      return old;
    });
    expect((await stale).meeting?.title).toBe('Old title');
    expect(await tcp.exists(redisKeys.meeting(id))).toBe(0);
    const fresh = await readMeetingThrough(upstash, id, async () => fakeMeeting(id, 'New title'));
    expect(fresh).toMatchObject({ source: 'database', meeting: { title: 'New title' } });
    expect(JSON.parse((await tcp.get(redisKeys.meeting(id))) ?? '{}').title).toBe('New title');
  });

  it('ignores a foreign value under the key and replaces it on the next fill', async () => {
    const id = newId();
    await tcp.set(redisKeys.meeting(id), '{"not":"a meeting"}', 'PX', 60_000);
    const read = await readMeetingThrough(upstash, id, async () => fakeMeeting(id));
    expect(read.source).toBe('database');
    expect(JSON.parse((await tcp.get(redisKeys.meeting(id))) ?? '{}').id).toBe(id);
  });

  it('meetingTtlMs spreads TTLs over [base, base * (1 + jitter))', () => {
    const base = MEETING_CACHE_DEFAULTS.ttlSeconds * 1_000;
    expect(meetingTtlMs(MEETING_CACHE_DEFAULTS, () => 0)).toBe(base);
    expect(meetingTtlMs(MEETING_CACHE_DEFAULTS, () => 0.999_999)).toBeLessThan(base * (1 + MEETING_CACHE_DEFAULTS.jitterRatio));
    const samples = Array.from({ length: 200 }, () => meetingTtlMs());
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(base);
    expect(Math.max(...samples)).toBeLessThan(base * (1 + MEETING_CACHE_DEFAULTS.jitterRatio));
    expect(new Set(samples).size).toBeGreaterThan(100);
  });
});

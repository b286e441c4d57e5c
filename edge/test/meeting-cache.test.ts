// The meeting cache, measured for real: an edge in workerd pointed at a database of
// its own with pg_stat_statements, so every Postgres statement that names a meetings
// table is counted (breakdown, penetration, TTL jitter, invalidation, cached authz).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis as TcpRedis } from 'ioredis';
import { redisKeys } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { registerAndLogin, type SignedInUser } from './users-helper.ts';
import { callerFor, createCountedDb, meetingInput, openRedis, unknownId, type Caller, type CountedDb } from './meetings-fixtures.ts';
import { MEETING_CACHE_DEFAULTS, MEETING_MISSING_SENTINEL } from '../src/services/meeting-cache.ts';

let db: CountedDb;
let edge: EdgeUnderTest;
let redis: TcpRedis;
let host: SignedInUser, attendee: SignedInUser, outsider: SignedInUser;
let asHost: Caller, asAttendee: Caller, asOutsider: Caller;

const BURST = 200;
const { ttlSeconds, jitterRatio, missingTtlSeconds } = MEETING_CACHE_DEFAULTS;

beforeAll(async () => {
  db = await createCountedDb();
  edge = await startEdge({ databaseUrl: db.url });
  redis = openRedis();
  [host, attendee, outsider] = (await Promise.all([0, 1, 2].map(() => registerAndLogin(edge)))) as [
    SignedInUser,
    SignedInUser,
    SignedInUser,
  ];
  asHost = callerFor(edge, host.accessToken);
  asAttendee = callerFor(edge, attendee.accessToken);
  asOutsider = callerFor(edge, outsider.accessToken);
}, 120_000);
afterAll(async () => {
  await edge?.close();
  await redis?.quit();
  await db?.drop();
});

async function createMeeting(): Promise<{ id: string; title: string }> {
  const reply = await asHost('POST', '/api/v1/meetings', meetingInput({ invitedUserIds: [attendee.user.id] }));
  expect(reply.status).toBe(201);
  return reply.body;
}

describe('meeting cache (workerd, counted Postgres statements)', () => {
  it(`a burst of ${BURST} GETs on a cold key loads the meeting from Postgres once`, async () => {
    const meeting = await createMeeting();
    const key = redisKeys.meeting(meeting.id);
    expect(await redis.exists(key)).toBe(0);

    const before = await db.meetingQueryCalls();
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        const response = await edge.fetch(`/api/v1/meetings/${meeting.id}`, {
          headers: { authorization: `Bearer ${(i % 2 ? attendee : host).accessToken}` },
        });
        return { status: response.status, text: await response.text() };
      }),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const queries = (await db.meetingQueryCalls()) - before;
    console.info(JSON.stringify({ burst: BURST, elapsedMs, meetingQueries: queries }));

    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(JSON.parse(replies[0]!.text)).toMatchObject({ id: meeting.id, title: meeting.title });
    expect(queries).toBe(1);
    expect(await redis.exists(key)).toBe(1);

    // Warm: participants and outsiders are both answered from the cache.
    const warmBefore = await db.meetingQueryCalls();
    const warm = await Promise.all(Array.from({ length: 20 }, () => asAttendee('GET', `/api/v1/meetings/${meeting.id}`)));
    expect(warm.map((r) => r.status)).toEqual(Array(20).fill(200));
    const denied = await asOutsider('GET', `/api/v1/meetings/${meeting.id}`);
    expect(denied.status).toBe(404);
    expect(denied.body).toEqual({ error: { code: 'not_found', message: 'Meeting not found.' } });
    expect((await db.meetingQueryCalls()) - warmBefore).toBe(0);
  });

  it('caches unknown ids briefly: the second GET does not reach Postgres', async () => {
    const id = unknownId();
    const before = await db.meetingQueryCalls();
    const first = await asHost('GET', `/api/v1/meetings/${id}`);
    expect(first.status).toBe(404);
    const afterFirst = await db.meetingQueryCalls();
    expect(afterFirst - before).toBe(1);

    const second = await asHost('GET', `/api/v1/meetings/${id}`);
    expect(second.status).toBe(404);
    expect(second.body).toEqual(first.body);
    expect((await db.meetingQueryCalls()) - afterFirst).toBe(0);

    expect(await redis.get(redisKeys.meeting(id))).toBe(MEETING_MISSING_SENTINEL);
    const ttlMs = await redis.pttl(redisKeys.meeting(id));
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(missingTtlSeconds * 1_000);

    // A burst on another unknown id is a single lookup too.
    const other = unknownId();
    const burstBefore = await db.meetingQueryCalls();
    const burst = await Promise.all(Array.from({ length: 50 }, () => asOutsider('GET', `/api/v1/meetings/${other}`)));
    expect(burst.map((r) => r.status)).toEqual(Array(50).fill(404));
    expect((await db.meetingQueryCalls()) - burstBefore).toBe(1);
  });

  it('gives cached meetings different TTLs within [base, base * (1 + jitter)]', async () => {
    const meetings = await Promise.all(Array.from({ length: 8 }, () => createMeeting()));
    await Promise.all(meetings.map((m) => asHost('GET', `/api/v1/meetings/${m.id}`)));
    const ttls = await Promise.all(meetings.map((m) => redis.pttl(redisKeys.meeting(m.id))));
    const slackMs = 10_000; // time between the fill and the PTTL read
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(ttlSeconds * 1_000 - slackMs);
      expect(ttl).toBeLessThanOrEqual(ttlSeconds * 1_000 * (1 + jitterRatio));
    }
    expect(new Set(ttls).size).toBeGreaterThan(1);
    // Spread, not noise: the fills are a fraction of a second apart, the TTLs differ by more.
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(1_000);
  });

  it('every write drops the cached meeting, so cached authorization follows invitations', async () => {
    const meeting = await createMeeting();
    const key = redisKeys.meeting(meeting.id);
    const newcomer = await registerAndLogin(edge);
    const asNewcomer = callerFor(edge, newcomer.accessToken);

    const warm = async () => {
      expect((await asHost('GET', `/api/v1/meetings/${meeting.id}`)).status).toBe(200);
      expect(await redis.exists(key)).toBe(1);
    };
    await warm();
    expect((await asNewcomer('GET', `/api/v1/meetings/${meeting.id}`)).status).toBe(404);
    expect((await asHost('POST', `/api/v1/meetings/${meeting.id}/invitations`, { userIds: [newcomer.user.id] })).status).toBe(200);
    expect(await redis.exists(key)).toBe(0);
    expect((await asNewcomer('GET', `/api/v1/meetings/${meeting.id}`)).status).toBe(200);

    await warm();
    expect((await asHost('POST', `/api/v1/meetings/${meeting.id}/start`)).status).toBe(200);
    expect(await redis.exists(key)).toBe(0);
    expect((await asAttendee('GET', `/api/v1/meetings/${meeting.id}`)).body.status).toBe('ongoing');

    await warm();
    expect((await asHost('POST', `/api/v1/meetings/${meeting.id}/end`)).status).toBe(200);
    expect(await redis.exists(key)).toBe(0);
    expect((await asAttendee('GET', `/api/v1/meetings/${meeting.id}`)).body.status).toBe('ended');

    // A failed write leaves the cache alone.
    await warm();
    expect((await asHost('POST', `/api/v1/meetings/${meeting.id}/end`)).status).toBe(409);
    expect(await redis.exists(key)).toBe(1);
  });

  it('a cache hit still needs a live session: a logged-out token gets 401, not the cached meeting', async () => {
    const guest = await registerAndLogin(edge);
    const meeting = (await asHost('POST', '/api/v1/meetings', meetingInput({ invitedUserIds: [guest.user.id] }))).body;
    const asGuest = callerFor(edge, guest.accessToken);
    expect((await asGuest('GET', `/api/v1/meetings/${meeting.id}`)).status).toBe(200);
    expect(await redis.exists(redisKeys.meeting(meeting.id))).toBe(1);

    expect((await asGuest('POST', '/api/v1/auth/logout')).status).toBe(204);
    const after = await asGuest('GET', `/api/v1/meetings/${meeting.id}`);
    expect(after.status).toBe(401);
    expect(JSON.stringify(after.body)).not.toContain(meeting.title);
  });
});

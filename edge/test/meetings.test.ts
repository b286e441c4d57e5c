// Meetings API in workerd against the real Postgres and Redis (through the Upstash
// gateway): create, read, list, update, invite, start, end; authorization; bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis as TcpRedis } from 'ioredis';
import { meetingCodeRegExp, type NodeDb } from '@huddle/db';
import { redisKeys } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { authHeaders, registerAndLogin, type SignedInUser } from './users-helper.ts';
import {
  callerFor,
  countOwned,
  meetingInput,
  openPg,
  openRedis,
  unknownId,
  type Caller,
  type JsonReply,
} from './meetings-fixtures.ts';

let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: TcpRedis;
// host creates meetings; attendee and other are invited; outsider is in none; spare for invitations.
let host: SignedInUser, attendee: SignedInUser, other: SignedInUser, outsider: SignedInUser, spare: SignedInUser;
let asHost: Caller, asAttendee: Caller, asOutsider: Caller, asSpare: Caller;

beforeAll(async () => {
  edge = await startEdge();
  pg = openPg();
  redis = openRedis();
  [host, attendee, other, outsider, spare] = await Promise.all(
    Array.from({ length: 5 }, () => registerAndLogin(edge)),
  ) as [SignedInUser, SignedInUser, SignedInUser, SignedInUser, SignedInUser];
  asHost = callerFor(edge, host.accessToken);
  asAttendee = callerFor(edge, attendee.accessToken);
  asOutsider = callerFor(edge, outsider.accessToken);
  asSpare = callerFor(edge, spare.accessToken);
});
afterAll(async () => {
  await edge?.close();
  await pg?.close();
  await redis?.quit();
});

/** A meeting by host with attendee and other invited; returns its JSON. */
async function newMeeting(overrides: Record<string, unknown> = {}) {
  const reply = await asHost('POST', '/api/v1/meetings', meetingInput({ invitedUserIds: [attendee.user.id, other.user.id], ...overrides }));
  expect(reply.status).toBe(201);
  return reply.body as { id: string; title: string; meetingCode: string; startTime: string; participants: { userId: string; role: string; status: string }[] };
}

async function participantRows(meetingId: string) {
  return pg.sql<{ user_id: string; role: string; status: string }[]>`
    select user_id, role, status from meeting_participants where meeting_id = ${meetingId} order by role, user_id`;
}

const byUserId = <T extends { userId: string }>(list: T[]) => [...list].sort((a, b) => a.userId.localeCompare(b.userId));

describe('POST /api/v1/meetings', () => {
  it('creates the meeting, its host and its invitees (deduplicated, caller excluded) in one go', async () => {
    const startTime = new Date(Date.now() + 7_200_000).toISOString();
    const reply = await asHost(
      'POST',
      '/api/v1/meetings',
      meetingInput({
        title: '  Planning  ',
        startTime,
        duration: 45,
        invitedUserIds: [attendee.user.id, other.user.id.toUpperCase(), attendee.user.id, host.user.id],
        settings: { waitingRoom: true, layout: { grid: [2, 2] } },
      }),
    );
    expect(reply.status).toBe(201);
    const meeting = reply.body;
    expect(meeting).toMatchObject({
      title: 'Planning',
      creatorId: host.user.id,
      startTime,
      duration: 45,
      status: 'scheduled',
      settings: { waitingRoom: true, layout: { grid: [2, 2] } },
      startedAt: null,
      endedAt: null,
    });
    expect(meeting.meetingCode).toMatch(meetingCodeRegExp);
    expect(meeting.participants[0]).toEqual({ userId: host.user.id, role: 'host', status: 'accepted' });
    expect(byUserId(meeting.participants.slice(1))).toEqual(
      byUserId([
        { userId: attendee.user.id, role: 'attendee', status: 'pending' },
        { userId: other.user.id, role: 'attendee', status: 'pending' },
      ]),
    );

    const [row] = await pg.sql`select title, meeting_code, creator_id, duration_minutes, status, settings from meetings where id = ${meeting.id}`;
    expect(row).toEqual({
      title: 'Planning',
      meeting_code: meeting.meetingCode,
      creator_id: host.user.id,
      duration_minutes: 45,
      status: 'scheduled',
      settings: { waitingRoom: true, layout: { grid: [2, 2] } },
    });
    const rows = await participantRows(meeting.id);
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(
      expect.arrayContaining([
        { user_id: host.user.id, role: 'host', status: 'accepted' },
        { user_id: attendee.user.id, role: 'attendee', status: 'pending' },
        { user_id: other.user.id, role: 'attendee', status: 'pending' },
      ]),
    );
  });

  it('rejects unknown (and disabled) invitees, naming every one, and writes nothing', async () => {
    const disabled = await registerAndLogin(edge);
    await pg.sql`update users set status = 'disabled' where id = ${disabled.user.id}`;
    const before = await countOwned(pg, host.user.id);
    const [ghostA, ghostB] = [unknownId(), unknownId()];
    const reply = await asHost(
      'POST',
      '/api/v1/meetings',
      meetingInput({ invitedUserIds: [attendee.user.id, ghostA, disabled.user.id, ghostB, ghostA] }),
    );
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('unknown_users');
    expect([...reply.body.error.details.unknownUserIds].sort()).toEqual([ghostA, ghostB, disabled.user.id].sort());
    expect(await countOwned(pg, host.user.id)).toEqual(before);
  });

  it('gives 20 concurrent creates 20 distinct meeting codes', async () => {
    const creator = callerFor(edge, spare.accessToken);
    const before = await countOwned(pg, spare.user.id);
    const replies = await Promise.all(Array.from({ length: 20 }, () => creator('POST', '/api/v1/meetings', meetingInput())));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    const codes = new Set(replies.map((r) => r.body.meetingCode));
    expect(codes.size).toBe(20);
    const ids = replies.map((r) => r.body.id as string);
    const rows = await pg.sql<{ meeting_code: string }[]>`select meeting_code from meetings where id = any(${ids})`;
    expect(new Set(rows.map((r) => r.meeting_code))).toEqual(codes);
    expect((await countOwned(pg, spare.user.id)).meetings).toBe(before.meetings + 20);
  });

  it('requires a valid access token', async () => {
    const before = await countOwned(pg, host.user.id);
    const anonymous = await edge.fetch('/api/v1/meetings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(meetingInput()),
    });
    expect(anonymous.status).toBe(401);
    const forged = await callerFor(edge, 'not.a.jwt')('POST', '/api/v1/meetings', meetingInput());
    expect(forged.status).toBe(401);
    expect(await countOwned(pg, host.user.id)).toEqual(before);
  });
});

describe('bad input: a clear 4xx and nothing written', () => {
  const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
  const cases: [string, Record<string, unknown>, string][] = [
    ['duration 0', meetingInput({ duration: 0 }), 'body.duration'],
    ['negative duration', meetingInput({ duration: -5 }), 'body.duration'],
    ['duration over a day', meetingInput({ duration: 24 * 60 + 1 }), 'body.duration'],
    ['fractional duration', meetingInput({ duration: 1.5 }), 'body.duration'],
    ['duration as text', meetingInput({ duration: '30' }), 'body.duration'],
    ['missing title', { ...meetingInput(), title: undefined }, 'body.title'],
    ['blank title', meetingInput({ title: '   ' }), 'body.title'],
    ['title too long', meetingInput({ title: 'x'.repeat(201) }), 'body.title'],
    ['start time not ISO', meetingInput({ startTime: 'tomorrow at noon' }), 'body.startTime'],
    ['start time without offset', meetingInput({ startTime: '2027-01-01T10:00:00' }), 'body.startTime'],
    ['start time long past', meetingInput({ startTime: '2001-01-01T10:00:00Z' }), 'body.startTime'],
    ['settings an array', meetingInput({ settings: [1, 2] }), 'body.settings'],
    ['settings a string', meetingInput({ settings: 'loud' }), 'body.settings'],
    ['settings null', meetingInput({ settings: null }), 'body.settings'],
    ['settings too deep', meetingInput({ settings: deep }), 'body.settings'],
    ['settings too big', meetingInput({ settings: { blob: 'x'.repeat(9_000) } }), 'body.settings'],
    ['captions setting not a boolean', meetingInput({ settings: { captions: 'off' } }), 'body.settings.captions'],
    ['invitee not a uuid', meetingInput({ invitedUserIds: ['bob'] }), 'body.invitedUserIds.0'],
    ['too many invitees', meetingInput({ invitedUserIds: Array.from({ length: 501 }, unknownId) }), 'body.invitedUserIds'],
  ];

  it.each(cases)('%s → 400 validation_failed naming the field', async (_name, body, field) => {
    const before = await countOwned(pg, host.user.id);
    const reply = await asHost('POST', '/api/v1/meetings', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('validation_failed');
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    expect(await countOwned(pg, host.user.id)).toEqual(before);
  });

  it('malformed JSON → 400, a non-JSON body → 415, and neither writes', async () => {
    const before = await countOwned(pg, host.user.id);
    const malformed = await edge.fetch('/api/v1/meetings', {
      method: 'POST',
      headers: authHeaders(host.accessToken),
      body: '{"title": "x", ',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toMatch(/bad_request|validation_failed/);
    const wrongType = await edge.fetch('/api/v1/meetings', {
      method: 'POST',
      headers: { authorization: `Bearer ${host.accessToken}`, 'content-type': 'text/plain' },
      body: JSON.stringify(meetingInput()),
    });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    expect(await countOwned(pg, host.user.id)).toEqual(before);
  });
});

describe('GET /api/v1/meetings/{id}', () => {
  it('shows the meeting to participants only; 404 with the same body for outsiders and unknown ids', async () => {
    const meeting = await newMeeting();
    const forHost = await asHost('GET', `/api/v1/meetings/${meeting.id}`);
    const forAttendee = await asAttendee('GET', `/api/v1/meetings/${meeting.id}`);
    expect(forHost.status).toBe(200);
    expect(forAttendee.status).toBe(200);
    expect(forAttendee.body).toEqual(forHost.body);
    expect(forHost.body).toEqual(meeting);

    const forOutsider = await asOutsider('GET', `/api/v1/meetings/${meeting.id}`);
    const unknown = await asOutsider('GET', `/api/v1/meetings/${unknownId()}`);
    expect(forOutsider.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(forOutsider.body).toEqual(unknown.body);
    expect(forOutsider.body).toEqual({ error: { code: 'not_found', message: 'Meeting not found.' } });
  });

  it('400 for an id that is not a UUID; an upper-case UUID is the same meeting', async () => {
    const reply = await asHost('GET', '/api/v1/meetings/12345');
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'param.id' }] });
    const meeting = await newMeeting();
    const upper = await asHost('GET', `/api/v1/meetings/${meeting.id.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.body.id).toBe(meeting.id);
  });
});

describe('GET /api/v1/meetings', () => {
  it("pages through the caller's meetings, newest start time first, and filters by status", async () => {
    const lister = await registerAndLogin(edge);
    const asLister = callerFor(edge, lister.accessToken);
    const base = Date.now() + 86_400_000;
    // Two meetings share a start time: the id breaks the tie.
    const offsets = [5, 1, 3, 3, 2];
    const own: { id: string; startTime: string }[] = [];
    for (const hours of offsets) {
      const reply = await asLister('POST', '/api/v1/meetings', meetingInput({ startTime: new Date(base + hours * 3_600_000).toISOString() }));
      expect(reply.status).toBe(201);
      own.push(reply.body);
    }
    const invitedTo = await newMeeting({ invitedUserIds: [lister.user.id], startTime: new Date(base + 4 * 3_600_000).toISOString() });

    const seen: { id: string; startTime: string; membership: { role: string; status: string } }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: JsonReply = await asLister('GET', `/api/v1/meetings?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(reply.status).toBe(200);
      expect(reply.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...reply.body.items);
      cursor = reply.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.map((m) => m.id).sort()).toEqual([...own.map((m) => m.id), invitedTo.id].sort());
    const expected = [...own, invitedTo].sort((a, b) => b.startTime.localeCompare(a.startTime) || b.id.localeCompare(a.id));
    expect(seen.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    expect(seen.find((m) => m.id === invitedTo.id)?.membership).toEqual({ role: 'attendee', status: 'pending' });
    expect(seen.find((m) => m.id === own[0]!.id)?.membership).toEqual({ role: 'host', status: 'accepted' });

    expect((await asLister('POST', `/api/v1/meetings/${own[1]!.id}/start`)).status).toBe(200);
    const ongoing = await asLister('GET', '/api/v1/meetings?status=ongoing');
    expect(ongoing.status).toBe(200);
    expect(ongoing.body.items.map((m: { id: string }) => m.id)).toEqual([own[1]!.id]);
    expect(ongoing.body.nextCursor).toBeNull();

    const forOutsider = await asOutsider('GET', '/api/v1/meetings?limit=100');
    expect(forOutsider.body.items.map((m: { id: string }) => m.id)).not.toContain(invitedTo.id);
  });

  it.each([
    ['unknown status', 'status=finished', 'query.status'],
    ['limit 0', 'limit=0', 'query.limit'],
    ['limit over 100', 'limit=101', 'query.limit'],
    ['limit not a number', 'limit=ten', 'query.limit'],
    ['a cursor we did not issue', 'cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
  ])('%s → 400', async (_name, query, field) => {
    const reply = await asHost('GET', `/api/v1/meetings?${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('validation_failed');
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  });
});

describe('PATCH /api/v1/meetings/{id}', () => {
  it('lets the host change fields; attendee 403, outsider and unknown id 404, empty patch 400', async () => {
    const meeting = await newMeeting();
    const startTime = new Date(Date.now() + 10_800_000).toISOString();
    const reply = await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, {
      title: 'Renamed',
      startTime,
      duration: 90,
      settings: { muteOnEntry: true },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: meeting.id, title: 'Renamed', startTime, duration: 90, settings: { muteOnEntry: true } });
    expect(reply.body.participants).toEqual(meeting.participants);

    const denied = await asAttendee('PATCH', `/api/v1/meetings/${meeting.id}`, { title: 'Mine now' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    const hidden = await asOutsider('PATCH', `/api/v1/meetings/${meeting.id}`, { title: 'Mine now' });
    const unknown = await asHost('PATCH', `/api/v1/meetings/${unknownId()}`, { title: 'Mine now' });
    expect(hidden.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(hidden.body).toEqual(unknown.body);
    const empty = await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, {});
    expect(empty.status).toBe(400);
    const tooLong = await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, { duration: 5_000 });
    expect(tooLong.status).toBe(400);

    const [row] = await pg.sql`select title, duration_minutes from meetings where id = ${meeting.id}`;
    expect(row).toEqual({ title: 'Renamed', duration_minutes: 90 });
  });

  it('invalidates the cached meeting: GET (cached) → PATCH → GET shows the change', async () => {
    const meeting = await newMeeting();
    const key = redisKeys.meeting(meeting.id);
    expect((await asAttendee('GET', `/api/v1/meetings/${meeting.id}`)).body.title).toBe(meeting.title);
    expect(await redis.exists(key)).toBe(1);
    expect((await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, { title: 'Fresh title' })).status).toBe(200);
    expect(await redis.exists(key)).toBe(0);
    const after = await asAttendee('GET', `/api/v1/meetings/${meeting.id}`);
    expect(after.body.title).toBe('Fresh title');
    expect(JSON.parse((await redis.get(key)) ?? '{}').title).toBe('Fresh title');
  });

  it('refuses a new start time once started, and any change once ended (409)', async () => {
    const meeting = await newMeeting();
    expect((await asHost('POST', `/api/v1/meetings/${meeting.id}/start`)).status).toBe(200);
    const moved = await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, { startTime: new Date(Date.now() + 3_600_000).toISOString() });
    expect(moved.status).toBe(409);
    expect(moved.body.error).toMatchObject({ code: 'invalid_state', details: { status: 'ongoing' } });
    expect((await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, { title: 'Still fine' })).status).toBe(200);
    expect((await asHost('POST', `/api/v1/meetings/${meeting.id}/end`)).status).toBe(200);
    const frozen = await asHost('PATCH', `/api/v1/meetings/${meeting.id}`, { title: 'Too late' });
    expect(frozen.status).toBe(409);
    expect(frozen.body.error).toMatchObject({ code: 'invalid_state', details: { status: 'ended' } });
    const [row] = await pg.sql`select title from meetings where id = ${meeting.id}`;
    expect(row?.title).toBe('Still fine');
  });
});

describe('POST /api/v1/meetings/{id}/invitations', () => {
  it('adds users once (idempotent), names unknown ids without writing, and is for hosts and cohosts', async () => {
    const meeting = await newMeeting({ invitedUserIds: [attendee.user.id] });
    const url = `/api/v1/meetings/${meeting.id}/invitations`;

    const first = await asHost('POST', url, { userIds: [spare.user.id, attendee.user.id] });
    expect(first.status).toBe(200);
    expect(first.body.invitedUserIds).toEqual([spare.user.id]);
    expect(first.body.participants).toContainEqual({ userId: spare.user.id, role: 'attendee', status: 'pending' });
    expect(first.body.participants).toHaveLength(3);
    const again = await asHost('POST', url, { userIds: [spare.user.id] });
    expect(again.status).toBe(200);
    expect(again.body.invitedUserIds).toEqual([]);
    expect(again.body.participants).toEqual(first.body.participants);
    expect(await participantRows(meeting.id)).toHaveLength(3);
    // The invitee sees it now.
    expect((await asSpare('GET', `/api/v1/meetings/${meeting.id}`)).status).toBe(200);

    const ghost = unknownId();
    const unknown = await asHost('POST', url, { userIds: [other.user.id, ghost] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toEqual({
      code: 'unknown_users',
      message: expect.any(String),
      details: { unknownUserIds: [ghost] },
    });
    expect(await participantRows(meeting.id)).toHaveLength(3); // `other` was not added either

    const byAttendee = await asAttendee('POST', url, { userIds: [other.user.id] });
    expect(byAttendee.status).toBe(403);
    const byOutsider = await asOutsider('POST', url, { userIds: [other.user.id] });
    expect(byOutsider.status).toBe(404);
    expect((await asHost('POST', url, { userIds: [] })).status).toBe(400);
    expect((await asHost('POST', url, { userIds: ['nope'] })).status).toBe(400);

    await pg.sql`update meeting_participants set role = 'cohost' where meeting_id = ${meeting.id} and user_id = ${attendee.user.id}`;
    const byCohost = await asAttendee('POST', url, { userIds: [other.user.id] });
    expect(byCohost.status).toBe(200);
    expect(byCohost.body.invitedUserIds).toEqual([other.user.id]);
    expect(await participantRows(meeting.id)).toHaveLength(4);
  });

  it('refuses invitations to ended meetings (409)', async () => {
    const meeting = await newMeeting({ invitedUserIds: [] });
    await asHost('POST', `/api/v1/meetings/${meeting.id}/start`);
    await asHost('POST', `/api/v1/meetings/${meeting.id}/end`);
    const reply = await asHost('POST', `/api/v1/meetings/${meeting.id}/invitations`, { userIds: [spare.user.id] });
    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({ code: 'invalid_state', details: { status: 'ended' } });
    expect(await participantRows(meeting.id)).toHaveLength(1);
  });
});

describe('start and end', () => {
  it('host only; illegal transitions are 409 invalid_transition', async () => {
    const meeting = await newMeeting();
    const start = `/api/v1/meetings/${meeting.id}/start`;
    const end = `/api/v1/meetings/${meeting.id}/end`;
    expect((await asAttendee('POST', start)).status).toBe(403);
    expect((await asOutsider('POST', start)).status).toBe(404);
    expect((await asHost('POST', `/api/v1/meetings/${unknownId()}/start`)).status).toBe(404);
    expect((await asHost('POST', '/api/v1/meetings/not-a-uuid/start')).status).toBe(400);

    const endEarly = await asHost('POST', end);
    expect(endEarly.status).toBe(409);
    expect(endEarly.body.error).toMatchObject({ code: 'invalid_transition', details: { from: 'scheduled', to: 'ended' } });

    const started = await asHost('POST', start);
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('ongoing');
    expect(Date.parse(started.body.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    const startTwice = await asHost('POST', start);
    expect(startTwice.status).toBe(409);
    expect(startTwice.body.error.details).toEqual({ from: 'ongoing', to: 'ongoing' });

    expect((await asAttendee('POST', end)).status).toBe(403);
    expect((await asOutsider('POST', end)).status).toBe(404);
    const ended = await asHost('POST', end);
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe('ended');
    expect(Date.parse(ended.body.endedAt)).toBeGreaterThanOrEqual(Date.parse(ended.body.startedAt));

    const endTwice = await asHost('POST', end);
    expect(endTwice.status).toBe(409);
    expect(endTwice.body.error.details).toEqual({ from: 'ended', to: 'ended' });
    const restart = await asHost('POST', start);
    expect(restart.status).toBe(409);
    expect(restart.body.error.details).toEqual({ from: 'ended', to: 'ongoing' });

    await pg.sql`update meetings set status = 'cancelled' where id = ${meeting.id}`;
    expect((await asHost('POST', start)).body.error.details).toEqual({ from: 'cancelled', to: 'ongoing' });
    const [stats] = await pg.sql`select count(*)::int as n from meeting_stats where meeting_id = ${meeting.id}`;
    expect(stats?.n).toBe(1);
  });

  it('ending writes meeting_stats from the participants in the same transaction', async () => {
    const meeting = await newMeeting();
    await asHost('POST', `/api/v1/meetings/${meeting.id}/start`);
    // A 10-minute meeting: attendee was in from minute 1 to 6, other from minute 2 to the end.
    await pg.sql`update meetings set started_at = now() - interval '10 minutes' where id = ${meeting.id}`;
    await pg.sql`update meeting_participants set status = 'left', joined_at = now() - interval '9 minutes', left_at = now() - interval '4 minutes'
                  where meeting_id = ${meeting.id} and user_id = ${attendee.user.id}`;
    await pg.sql`update meeting_participants set status = 'joined', joined_at = now() - interval '8 minutes'
                  where meeting_id = ${meeting.id} and user_id = ${other.user.id}`;

    const ended = await asHost('POST', `/api/v1/meetings/${meeting.id}/end`);
    expect(ended.status).toBe(200);
    expect(ended.body.participants).toContainEqual({ userId: other.user.id, role: 'attendee', status: 'left' });
    const [stats] = await pg.sql`select * from meeting_stats where meeting_id = ${meeting.id}`;
    expect(stats).toMatchObject({ participant_count: 2, peak_participants: 2, chat_message_count: 0 });
    expect(stats?.duration_seconds).toBeGreaterThanOrEqual(600);
    expect(stats?.duration_seconds).toBeLessThan(630);
    // 5 minutes + 8 minutes of attendance.
    expect(stats?.total_participant_seconds).toBeGreaterThanOrEqual(780);
    expect(stats?.total_participant_seconds).toBeLessThan(810);
    const [left] = await pg.sql`select left_at, (select ended_at from meetings where id = ${meeting.id}) as ended_at
                                  from meeting_participants where meeting_id = ${meeting.id} and user_id = ${other.user.id}`;
    expect(left?.left_at).toEqual(left?.ended_at);
  });

  it('two concurrent /end calls: exactly one 200, one 409, one stats row', async () => {
    for (let round = 0; round < 3; round++) {
      const meeting = await newMeeting();
      await asHost('POST', `/api/v1/meetings/${meeting.id}/start`);
      const replies = await Promise.all([0, 1].map(() => asHost('POST', `/api/v1/meetings/${meeting.id}/end`)));
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(replies.find((r) => r.status === 409)?.body.error.code).toBe('invalid_transition');
      const [stats] = await pg.sql`select count(*)::int as n from meeting_stats where meeting_id = ${meeting.id}`;
      expect(stats?.n).toBe(1);
    }
  });
});

describe('OpenAPI', () => {
  it('documents every meetings route', async () => {
    const doc = (await (await edge.fetch('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/meetings'] ?? {})).toEqual(expect.arrayContaining(['post', 'get']));
    expect(Object.keys(doc.paths['/api/v1/meetings/{id}'] ?? {})).toEqual(expect.arrayContaining(['get', 'patch']));
    for (const path of ['/api/v1/meetings/{id}/invitations', '/api/v1/meetings/{id}/start', '/api/v1/meetings/{id}/end']) {
      expect(doc.paths[path]).toHaveProperty('post');
    }
  });
});

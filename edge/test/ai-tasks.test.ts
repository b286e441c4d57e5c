import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Redis as TcpRedis } from 'ioredis';
import type { NodeDb } from '@huddle/db';
import { AI_TASK_LIMITS, decodeTaskEntry, encodeTaskEntry, type AiTask } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { authHeaders, randomSuffix, registerAndLogin, type SignedInUser } from './users-helper.ts';
import { insertMeeting, openTestDb, openTestRedis } from './join-fixtures.ts';

let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: TcpRedis;
let host: SignedInUser;
let attendee: SignedInUser;
let outsider: SignedInUser;
let decliner: SignedInUser;
// A private stream: other suites (and any AI pool running locally) never see these entries.
const stream = `test:${randomSuffix()}:ai:tasks`;

beforeAll(async () => {
  pg = openTestDb();
  redis = openTestRedis();
  edge = await startEdge({ vars: { AI_TASKS_STREAM: stream } });
  [host, attendee, outsider, decliner] = await Promise.all([
    registerAndLogin(edge),
    registerAndLogin(edge),
    registerAndLogin(edge),
    registerAndLogin(edge),
  ]);
});
afterAll(async () => {
  await redis?.del(stream);
  await edge?.close();
  await pg?.close();
  redis?.disconnect();
});

const newMeeting = (status: 'scheduled' | 'ongoing' | 'ended' | 'cancelled' = 'ongoing') =>
  insertMeeting(pg, {
    hostId: host.user.id,
    status,
    participants: [
      { userId: attendee.user.id, status: 'accepted' },
      { userId: decliner.user.id, status: 'declined' },
    ],
  });

const submit = (body: unknown, who: SignedInUser = host) =>
  edge.fetch('/api/v1/ai/tasks', { method: 'POST', headers: authHeaders(who.accessToken), body: JSON.stringify(body) });

/** Base64 of `bytes` bytes of (silent) PCM. */
const pcm = (bytes: number) => Buffer.alloc(bytes, 1).toString('base64');

/** Every task in the stream, decoded, with its entry id. */
async function streamTasks(): Promise<{ id: string; fields: string[]; task: AiTask }[]> {
  const entries = await redis.xrange(stream, '-', '+');
  return entries.map(([id, fields]) => {
    const decoded = decodeTaskEntry(fields);
    if (!decoded.ok) throw new Error(`undecodable entry ${id}: ${decoded.error}`);
    return { id, fields, task: decoded.task };
  });
}

async function expectError(response: Response, status: number, code: string): Promise<{ path: string }[] | undefined> {
  const body = (await response.json()) as { error: { code: string; message: string; details?: { path: string }[] } };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  return body.error.details;
}

describe('POST /api/v1/ai/tasks: accepted tasks', () => {
  it('queues a speech_activity task on the stream with the caller, a fresh taskId and attempt 1 (202)', async () => {
    const meetingId = await newMeeting();
    const payload = { audio: pcm(3_200), sampleRate: 16_000, userId: attendee.user.id, startedAt: '2026-11-27T10:00:00.000Z' };
    const before = Date.now();
    const response = await submit({ type: 'speech_activity', meetingId, payload }, attendee);
    expect(response.status).toBe(202);
    const { taskId } = (await response.json()) as { taskId: string };
    expect(taskId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const entries = (await streamTasks()).filter((e) => e.task.taskId === taskId);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry!.fields[0]).toBe('task'); // one field, `task`, holding the JSON
    expect(entry!.fields).toHaveLength(2);
    expect(entry!.task).toEqual({
      taskId,
      type: 'speech_activity',
      meetingId,
      userId: attendee.user.id,
      payload,
      attempt: 1,
      enqueuedAt: expect.any(String),
    });
    const enqueuedAt = Date.parse(entry!.task.enqueuedAt);
    expect(enqueuedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(enqueuedAt).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('accepts transcribe, sentiment and summary (summary without payload), each with its own taskId', async () => {
    const meetingId = await newMeeting('scheduled');
    const requests = [
      { type: 'transcribe', meetingId, payload: { audio: pcm(1_000), mimeType: 'audio/webm', language: 'en' } },
      { type: 'transcribe', meetingId, payload: { audio: pcm(640), mimeType: 'audio/pcm', sampleRate: 48_000 } },
      { type: 'sentiment', meetingId, payload: { text: 'This went really well, thank you all!' } },
      { type: 'summary', meetingId },
      { type: 'summary', meetingId, payload: { sources: ['chat'], maxSentences: 5 } },
    ];
    const ids: string[] = [];
    for (const request of requests) {
      const response = await submit(request);
      expect(response.status, await response.clone().text()).toBe(202);
      ids.push(((await response.json()) as { taskId: string }).taskId);
    }
    expect(new Set(ids).size).toBe(requests.length);
    const byId = new Map((await streamTasks()).map((e) => [e.task.taskId, e.task]));
    requests.forEach((request, i) => {
      const task = byId.get(ids[i]!);
      expect(task).toMatchObject({ type: request.type, meetingId, userId: host.user.id, attempt: 1 });
      expect(task?.payload).toEqual(request.payload ?? {});
    });
  });

  it('stores ids in lower case whatever case the client sent', async () => {
    const meetingId = await newMeeting();
    const response = await submit(
      { type: 'speech_activity', meetingId: meetingId.toUpperCase(), payload: { audio: pcm(2), sampleRate: 16_000, userId: host.user.id.toUpperCase() } },
    );
    expect(response.status).toBe(202);
    const { taskId } = (await response.json()) as { taskId: string };
    const task = (await streamTasks()).find((e) => e.task.taskId === taskId)?.task;
    expect(task).toMatchObject({ meetingId, payload: { userId: host.user.id } });
  });

  it('takes audio of exactly the size limit', async () => {
    const meetingId = await newMeeting();
    const response = await submit({
      type: 'speech_activity',
      meetingId,
      payload: { audio: pcm(AI_TASK_LIMITS.audioBytesMax), sampleRate: 48_000 },
    });
    expect(response.status).toBe(202);
  });

  it('after the meeting ended takes summary and sentiment but refuses live-audio tasks (409)', async () => {
    const meetingId = await newMeeting('ended');
    expect((await submit({ type: 'summary', meetingId, payload: {} })).status).toBe(202);
    expect((await submit({ type: 'sentiment', meetingId, payload: { text: 'ok' } }, attendee)).status).toBe(202);
    const length = await redis.xlen(stream);
    await expectError(await submit({ type: 'speech_activity', meetingId, payload: { audio: pcm(2), sampleRate: 16_000 } }), 409, 'meeting_ended');
    await expectError(await submit({ type: 'transcribe', meetingId, payload: { audio: pcm(9), mimeType: 'audio/ogg' } }), 409, 'meeting_ended');
    const cancelled = await newMeeting('cancelled');
    await expectError(await submit({ type: 'summary', meetingId: cancelled }), 409, 'meeting_cancelled');
    expect(await redis.xlen(stream)).toBe(length);
  });
});

describe('POST /api/v1/ai/tasks: refused tasks write nothing', () => {
  it('refuses unknown types, bad payloads and oversize audio or text with 400 naming the field', async () => {
    const meetingId = await newMeeting();
    const length = await redis.xlen(stream);
    const cases: [unknown, string][] = [
      [{ type: 'translate', meetingId, payload: {} }, 'body.type'],
      [{ meetingId, payload: {} }, 'body.type'],
      [{ type: 'summary' }, 'body.meetingId'],
      [{ type: 'summary', meetingId: 'abc' }, 'body.meetingId'],
      [{ type: 'speech_activity', meetingId, payload: { audio: pcm(AI_TASK_LIMITS.audioBytesMax + 2), sampleRate: 16_000 } }, 'body.payload.audio'],
      [{ type: 'speech_activity', meetingId, payload: { audio: 'not base64!', sampleRate: 16_000 } }, 'body.payload.audio'],
      [{ type: 'speech_activity', meetingId, payload: { audio: pcm(3), sampleRate: 16_000 } }, 'body.payload.audio'],
      [{ type: 'speech_activity', meetingId, payload: { audio: pcm(4), sampleRate: 44_100 } }, 'body.payload.sampleRate'],
      [{ type: 'speech_activity', meetingId, payload: { audio: pcm(4), sampleRate: 16_000, startedAt: 'yesterday' } }, 'body.payload.startedAt'],
      [{ type: 'speech_activity', meetingId, payload: { audio: pcm(4), sampleRate: 16_000, userId: 'me' } }, 'body.payload.userId'],
      [{ type: 'transcribe', meetingId, payload: { audio: pcm(4), mimeType: 'video/mp4' } }, 'body.payload.mimeType'],
      [{ type: 'transcribe', meetingId, payload: { audio: pcm(4), mimeType: 'audio/pcm' } }, 'body.payload.sampleRate'],
      [{ type: 'transcribe', meetingId, payload: { audio: pcm(4), mimeType: 'audio/wav', language: 'english' } }, 'body.payload.language'],
      [{ type: 'sentiment', meetingId, payload: { text: 'x'.repeat(AI_TASK_LIMITS.textCharsMax + 1) } }, 'body.payload.text'],
      [{ type: 'sentiment', meetingId, payload: { text: '   ' } }, 'body.payload.text'],
      [{ type: 'sentiment', meetingId, payload: { text: 42 } }, 'body.payload.text'],
      [{ type: 'sentiment', meetingId }, 'body.payload'],
      [{ type: 'summary', meetingId, payload: { sources: ['email'] } }, 'body.payload.sources.0'],
      [{ type: 'summary', meetingId, payload: { sources: ['chat', 'chat'] } }, 'body.payload.sources'],
      [{ type: 'summary', meetingId, payload: { maxSentences: 0 } }, 'body.payload.maxSentences'],
      [[], 'body'],
    ];
    for (const [body, path] of cases) {
      const details = await expectError(await submit(body), 400, 'validation_failed');
      expect(details?.map((d) => d.path), JSON.stringify(body).slice(0, 200)).toContain(path);
    }
    expect(await redis.xlen(stream)).toBe(length);
  });

  it('is 404 for outsiders and unknown meetings, 403 after declining or for somebody else\'s audio, 401 without a token', async () => {
    const meetingId = await newMeeting();
    const length = await redis.xlen(stream);
    const task = { type: 'sentiment', meetingId, payload: { text: 'hello' } };
    await expectError(await submit(task, outsider), 404, 'not_found');
    await expectError(await submit({ ...task, meetingId: randomUUID() }), 404, 'not_found');
    await expectError(await submit(task, decliner), 403, 'forbidden');
    await expectError(
      await submit({ type: 'speech_activity', meetingId, payload: { audio: pcm(4), sampleRate: 16_000, userId: host.user.id } }, attendee),
      403,
      'forbidden',
    );
    await expectError(
      await edge.fetch('/api/v1/ai/tasks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(task) }),
      401,
      'unauthorized',
    );
    expect(await redis.xlen(stream)).toBe(length);
  });
});

describe('the stream entry contract (protocol/src/ai-tasks.ts)', () => {
  const task: AiTask = {
    taskId: randomUUID(),
    type: 'sentiment',
    meetingId: randomUUID(),
    userId: randomUUID(),
    payload: { text: 'fine' },
    attempt: 2,
    enqueuedAt: new Date().toISOString(),
  };

  it('round-trips through every client shape: flat arrays (ioredis), objects (node-redis), pre-parsed JSON (@upstash/redis)', () => {
    const fields = encodeTaskEntry(task);
    expect(Object.keys(fields)).toEqual(['task']);
    expect(decodeTaskEntry(Object.entries(fields).flat())).toEqual({ ok: true, task });
    expect(decodeTaskEntry(fields)).toEqual({ ok: true, task });
    expect(decodeTaskEntry({ task: JSON.parse(fields.task!) })).toEqual({ ok: true, task });
    expect(decodeTaskEntry(['task', Buffer.from(fields.task!)])).toEqual({ ok: true, task });
  });

  it('reports poison entries as values instead of throwing', () => {
    expect(decodeTaskEntry([])).toMatchObject({ ok: false, error: expect.stringContaining('no "task" field') });
    expect(decodeTaskEntry({ task: '{not json' })).toEqual({ ok: false, error: 'task is not JSON' });
    expect(decodeTaskEntry({ task: JSON.stringify({ ...task, type: 'translate' }) })).toMatchObject({ ok: false });
    expect(decodeTaskEntry({ task: JSON.stringify({ ...task, attempt: 0 }) })).toMatchObject({
      ok: false,
      error: expect.stringContaining('attempt'),
    });
  });
});

describe('POST /api/v1/ai/tasks: per-user rate limit', () => {
  let limited: EdgeUnderTest;
  const limitedStream = `test:${randomSuffix()}:ai:tasks:limited`;
  beforeAll(async () => {
    limited = await startEdge({ vars: { AI_TASKS_STREAM: limitedStream, AI_TASKS_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await redis?.del(limitedStream);
    await limited?.close();
  });

  it('answers 429 with Retry-After past the limit and queues nothing more', async () => {
    const user = await registerAndLogin(limited);
    const meetingId = await insertMeeting(pg, { hostId: user.user.id, status: 'ongoing', participants: [] });
    const send = () =>
      limited.fetch('/api/v1/ai/tasks', {
        method: 'POST',
        headers: authHeaders(user.accessToken),
        body: JSON.stringify({ type: 'sentiment', meetingId, payload: { text: 'fine' } }),
      });
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(202);
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await redis.xlen(limitedStream)).toBe(3);
  });

  it('counts only tasks that would be queued: 404, 403 and 409 refusals leave the quota untouched', async () => {
    const user = await registerAndLogin(limited);
    const other = await registerAndLogin(limited);
    const open = await insertMeeting(pg, { hostId: user.user.id, status: 'ongoing', participants: [] });
    const ended = await insertMeeting(pg, { hostId: user.user.id, status: 'ended', participants: [] });
    const send = (body: unknown) =>
      limited.fetch('/api/v1/ai/tasks', { method: 'POST', headers: authHeaders(user.accessToken), body: JSON.stringify(body) });
    const audio = { audio: pcm(3_200), sampleRate: 16_000 };
    for (let i = 0; i < 4; i++) {
      expect((await send({ type: 'sentiment', meetingId: randomUUID(), payload: { text: 'fine' } })).status).toBe(404);
      expect((await send({ type: 'speech_activity', meetingId: open, payload: { ...audio, userId: other.user.id } })).status).toBe(403);
      expect((await send({ type: 'speech_activity', meetingId: ended, payload: audio })).status).toBe(409);
    }
    for (let i = 0; i < 3; i++) expect((await send({ type: 'sentiment', meetingId: open, payload: { text: 'fine' } })).status).toBe(202);
    expect((await send({ type: 'sentiment', meetingId: open, payload: { text: 'fine' } })).status).toBe(429);
  });
});

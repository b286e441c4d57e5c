// Bad input against every /api/v1 endpoint: each mistake is a clean 4xx JSON error with
// a request id, never a 500 or a stack trace, and nothing is written (checked in
// Postgres and Redis before and after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import type { Redis as TcpRedis } from 'ioredis';
import { meetingParticipants, meetings, users, type NodeDb } from '@huddle/db';
import { redisKeys } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { authHeaders, randomSuffix, registerAndLogin, testClientIp, type SignedInUser } from './users-helper.ts';
import { openTestDb, openTestRedis, TestRegistry } from './join-fixtures.ts';

const MiB = 1024 * 1024;
const run = randomSuffix(4);
const stream = `test:${run}:ai:tasks`;
const allowedOrigin = 'https://app.example.test'; // CORS_ORIGINS of the test harness

let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: TcpRedis;
let registry: TestRegistry;
let me: SignedInUser;
let other: SignedInUser;
let meetingId: string;

beforeAll(async () => {
  pg = openTestDb();
  redis = openTestRedis();
  registry = new TestRegistry(redis);
  edge = await startEdge({ vars: { AI_TASKS_STREAM: stream, MEDIA_NODE_REGISTRY_PREFIX: registry.prefix } });
  [me, other] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge)]);
  const created = await edge.fetch('/api/v1/meetings', {
    method: 'POST',
    headers: authHeaders(me.accessToken),
    body: JSON.stringify({ title: 'Bad input target', startTime: new Date(Date.now() + 3_600_000).toISOString(), duration: 30 }),
  });
  expect(created.status).toBe(201);
  meetingId = ((await created.json()) as { id: string }).id;
  await registry.register(`n-${run}`);
});
afterAll(async () => {
  await registry?.clear();
  await redis?.del(stream, ...(meetingId ? [redisKeys.meetingNode(meetingId)] : []));
  await edge?.close();
  await pg?.close();
  redis?.disconnect();
});

// ---------------------------------------------------------------------------------------
// What every error must look like
// ---------------------------------------------------------------------------------------

const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\(|\.(?:ts|js|mjs|cjs):\d+|node_modules|file:\/\/|\/work\/|\/src\//;

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Asserts a clean JSON error with this status (and code); returns the body. */
async function expectCleanError(response: Response, status: number, code?: string): Promise<ErrorBody> {
  const text = await response.text();
  expect(response.status, text.slice(0, 300)).toBe(status);
  expect(text).not.toMatch(STACK_TRACE);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-request-id')).toMatch(/\S{8,}/);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(
    body.error.details === undefined ? ['code', 'message'] : ['code', 'details', 'message'],
  );
  expect(body.error.code).toMatch(/^[a-z_]+$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code) expect(body.error.code).toBe(code);
  return body;
}

/** Asserts a 400 validation_failed whose details name each of `paths`. */
async function expectFields(response: Response, ...paths: string[]): Promise<void> {
  const body = await expectCleanError(response, 400, 'validation_failed');
  const listed = (body.error.details as { path: string; message: string }[]).map((d) => d.path);
  expect(listed, JSON.stringify(body.error.details)).toEqual(expect.arrayContaining(paths));
}

// ---------------------------------------------------------------------------------------
// The endpoints
// ---------------------------------------------------------------------------------------

interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: () => string;
  auth: boolean;
  /** A valid body, for endpoints that take one. */
  body?: () => unknown;
}

const endpoints: Endpoint[] = [
  { name: 'register', method: 'POST', path: () => '/api/v1/auth/register', auth: false, body: () => ({ username: `bi_${run}_ok`, email: `bi_${run}_ok@example.test`, password: 'a-long-enough-password' }) },
  { name: 'login', method: 'POST', path: () => '/api/v1/auth/login', auth: false, body: () => ({ login: me.user.username, password: me.password }) },
  { name: 'refresh', method: 'POST', path: () => '/api/v1/auth/refresh', auth: false, body: () => ({ refreshToken: 'x'.repeat(40) }) },
  { name: 'logout', method: 'POST', path: () => '/api/v1/auth/logout', auth: true },
  { name: 'me', method: 'GET', path: () => '/api/v1/users/me', auth: true },
  { name: 'create meeting', method: 'POST', path: () => '/api/v1/meetings', auth: true, body: () => ({ title: 'x', startTime: new Date(Date.now() + 3_600_000).toISOString(), duration: 10 }) },
  { name: 'list meetings', method: 'GET', path: () => '/api/v1/meetings', auth: true },
  { name: 'get meeting', method: 'GET', path: () => `/api/v1/meetings/${meetingId}`, auth: true },
  { name: 'patch meeting', method: 'PATCH', path: () => `/api/v1/meetings/${meetingId}`, auth: true, body: () => ({ title: 'renamed' }) },
  { name: 'invite', method: 'POST', path: () => `/api/v1/meetings/${meetingId}/invitations`, auth: true, body: () => ({ userIds: [other.user.id] }) },
  { name: 'start', method: 'POST', path: () => `/api/v1/meetings/${meetingId}/start`, auth: true },
  { name: 'end', method: 'POST', path: () => `/api/v1/meetings/${meetingId}/end`, auth: true },
  { name: 'join', method: 'POST', path: () => `/api/v1/meetings/${meetingId}/join`, auth: true },
  { name: 'ai task', method: 'POST', path: () => '/api/v1/ai/tasks', auth: true, body: () => ({ type: 'summary', meetingId }) },
];
const withBody = endpoints.filter((e) => e.method !== 'GET');
const withJsonSchema = endpoints.filter((e) => e.body);

/** Request headers for an endpoint: a fresh client IP (rate limits), and the token when needed. */
function headersFor(endpoint: Endpoint, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'cf-connecting-ip': testClientIp(),
    ...(endpoint.auth ? { authorization: `Bearer ${me.accessToken}` } : {}),
    ...extra,
  };
}

const send = (endpoint: Endpoint, body: BodyInit | undefined, headers: Record<string, string> = {}, path = endpoint.path()) =>
  edge.fetch(path, { method: endpoint.method, headers: headersFor(endpoint, headers), ...(body === undefined ? {} : { body }) });

const sendJson = (endpoint: Endpoint, body: unknown, path?: string) =>
  send(endpoint, JSON.stringify(body), { 'content-type': 'application/json' }, path);

/** A stream of `bytes` bytes of JSON-ish text, sent without Content-Length (chunked). */
function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`{"pad":"${'x'.repeat(64 * 1024 - 10)}`);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

// wrangler's dev proxy (in front of the Worker in the harness) sometimes loses the
// connection when the Worker answers before the client finished streaming the body, as
// a 413 does: about 1 request in 60 gets the proxy's own plain-text 500 "Network
// connection lost". That is the local proxy, not the app (whose errors are always JSON),
// so such a response is retried; any other answer is checked as it is.
const PROXY_CONNECTION_LOST = /^Error: Network connection lost\./;

async function sendStreamed(endpoint: Endpoint): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await edge.fetch(endpoint.path(), {
      method: endpoint.method,
      headers: headersFor(endpoint, { 'content-type': 'application/json' }),
      body: chunkedBody(MiB + 64 * 1024),
      duplex: 'half',
    } as RequestInit);
    if (attempt >= 3 || response.status !== 500 || response.headers.get('content-type')?.includes('json')) return response;
    if (!PROXY_CONNECTION_LOST.test(await response.clone().text())) return response;
  }
}

// ---------------------------------------------------------------------------------------
// The state that must not change
// ---------------------------------------------------------------------------------------

interface Snapshot {
  usersOfRun: number;
  meetingsOfMe: number;
  participantsOfMeeting: string;
  meeting: string;
  streamLength: number;
  sticky: number;
}

async function snapshot(): Promise<Snapshot> {
  const [usersOfRun] = await pg.db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(sql`lower(${users.username}) like ${`bi_${run}%`}`);
  const [mine] = await pg.db.select({ n: sql<number>`count(*)::int` }).from(meetings).where(sql`${meetings.creatorId} = ${me.user.id}`);
  const participants = await pg.db
    .select({ userId: meetingParticipants.userId, role: meetingParticipants.role, status: meetingParticipants.status })
    .from(meetingParticipants)
    .where(sql`${meetingParticipants.meetingId} = ${meetingId}`)
    .orderBy(meetingParticipants.userId);
  const [meeting] = await pg.db.select().from(meetings).where(sql`${meetings.id} = ${meetingId}`);
  return {
    usersOfRun: usersOfRun?.n ?? -1,
    meetingsOfMe: mine?.n ?? -1,
    participantsOfMeeting: JSON.stringify(participants),
    meeting: JSON.stringify(meeting),
    streamLength: await redis.xlen(stream),
    sticky: await redis.exists(redisKeys.meetingNode(meetingId)),
  };
}

// ---------------------------------------------------------------------------------------

describe('bad input on every /api/v1 endpoint', () => {
  let before: Snapshot;
  beforeAll(async () => {
    before = await snapshot();
  });

  it('refuses malformed JSON with 400', async () => {
    for (const endpoint of withJsonSchema) {
      for (const text of ['{"title":', '{title: 1}', '{"a":1}}', '\u0000', 'nul']) {
        const response = await send(endpoint, text, { 'content-type': 'application/json' });
        await expectCleanError(response, 400);
      }
    }
  });

  it('refuses JSON that is not an object with 400', async () => {
    for (const endpoint of withJsonSchema) {
      for (const text of ['null', '[]', '42', '"text"', 'true']) {
        await expectCleanError(await send(endpoint, text, { 'content-type': 'application/json' }), 400);
      }
    }
  });

  it('refuses bodies that are not application/json with 415 (even when the text is JSON)', async () => {
    for (const endpoint of withBody) {
      const json = JSON.stringify(endpoint.body?.() ?? {});
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-seq']) {
        await expectCleanError(await send(endpoint, json, { 'content-type': type }), 415, 'unsupported_media_type');
      }
      // fetch labels a string body text/plain when no type is given.
      await expectCleanError(await send(endpoint, json), 415, 'unsupported_media_type');
    }
  });

  it('refuses bodies over 1 MiB with 413, with a Content-Length', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MiB) });
    for (const endpoint of withBody) {
      await expectCleanError(await send(endpoint, big, { 'content-type': 'application/json' }), 413, 'payload_too_large');
    }
  });

  it('refuses bodies over 1 MiB with 413, streamed without a Content-Length', async () => {
    for (const endpoint of withBody) {
      const response = await sendStreamed(endpoint);
      await expectCleanError(response, 413, 'payload_too_large');
    }
  });

  it('register: lists each failing field', async () => {
    const ep = endpoints.find((e) => e.name === 'register')!;
    const ok = ep.body!() as Record<string, unknown>;
    await expectFields(await sendJson(ep, {}), 'body.username', 'body.email', 'body.password');
    await expectFields(await sendJson(ep, { ...ok, username: `bi_${run}_${'x'.repeat(40)}` }), 'body.username');
    await expectFields(await sendJson(ep, { ...ok, username: `bi ${run}` }), 'body.username');
    await expectFields(await sendJson(ep, { ...ok, username: 12345 }), 'body.username');
    await expectFields(await sendJson(ep, { ...ok, email: 'not-an-email' }), 'body.email');
    await expectFields(await sendJson(ep, { ...ok, email: `${'e'.repeat(250)}@example.test` }), 'body.email');
    await expectFields(await sendJson(ep, { ...ok, password: 'short' }), 'body.password');
    await expectFields(await sendJson(ep, { ...ok, password: 'p'.repeat(10_000) }), 'body.password');
    await expectFields(await sendJson(ep, { ...ok, fullName: 'f'.repeat(101) }), 'body.fullName');
    await expectFields(await sendJson(ep, { ...ok, fullName: ['Ada'] }), 'body.fullName');
  });

  it('login and refresh: list each failing field', async () => {
    const login = endpoints.find((e) => e.name === 'login')!;
    await expectFields(await sendJson(login, {}), 'body.login', 'body.password');
    await expectFields(await sendJson(login, { login: 42, password: true }), 'body.login', 'body.password');
    await expectFields(await sendJson(login, { login: 'l'.repeat(300), password: 'x' }), 'body.login');
    const refresh = endpoints.find((e) => e.name === 'refresh')!;
    await expectFields(await sendJson(refresh, {}), 'body.refreshToken');
    await expectFields(await sendJson(refresh, { refreshToken: 7 }), 'body.refreshToken');
    await expectFields(await sendJson(refresh, { refreshToken: 'r'.repeat(5_000) }), 'body.refreshToken');
  });

  it('meetings: create and patch list each failing field', async () => {
    const create = endpoints.find((e) => e.name === 'create meeting')!;
    const ok = create.body!() as Record<string, unknown>;
    await expectFields(await sendJson(create, {}), 'body.title', 'body.startTime', 'body.duration');
    await expectFields(await sendJson(create, { ...ok, title: '' }), 'body.title');
    await expectFields(await sendJson(create, { ...ok, title: 't'.repeat(201) }), 'body.title');
    await expectFields(await sendJson(create, { ...ok, title: { en: 'x' } }), 'body.title');
    await expectFields(await sendJson(create, { ...ok, startTime: 'tomorrow at nine' }), 'body.startTime');
    await expectFields(await sendJson(create, { ...ok, startTime: 1_800_000_000_000 }), 'body.startTime');
    await expectFields(await sendJson(create, { ...ok, duration: 0 }), 'body.duration');
    await expectFields(await sendJson(create, { ...ok, duration: 24 * 60 + 1 }), 'body.duration');
    await expectFields(await sendJson(create, { ...ok, duration: '30' }), 'body.duration');
    await expectFields(await sendJson(create, { ...ok, duration: 1.5 }), 'body.duration');
    await expectFields(await sendJson(create, { ...ok, duration: 1e308 }), 'body.duration');
    await expectFields(await sendJson(create, { ...ok, invitedUserIds: ['not-a-uuid'] }), 'body.invitedUserIds.0');
    await expectFields(await sendJson(create, { ...ok, invitedUserIds: other.user.id }), 'body.invitedUserIds');
    await expectFields(await sendJson(create, { ...ok, settings: 'loud' }), 'body.settings');
    await expectFields(await sendJson(create, { ...ok, settings: [1, 2] }), 'body.settings');
    const deep = JSON.parse(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`);
    await expectFields(await sendJson(create, { ...ok, settings: deep }), 'body.settings');

    const patch = endpoints.find((e) => e.name === 'patch meeting')!;
    await expectCleanError(await sendJson(patch, {}), 400, 'validation_failed');
    await expectFields(await sendJson(patch, { title: 't'.repeat(201) }), 'body.title');
    await expectFields(await sendJson(patch, { duration: -5 }), 'body.duration');
    await expectFields(await sendJson(patch, { startTime: '2026-13-45T99:00:00Z' }), 'body.startTime');
  });

  it('meetings: the list query and invitations list each failing field', async () => {
    const list = endpoints.find((e) => e.name === 'list meetings')!;
    await expectFields(await send(list, undefined, {}, '/api/v1/meetings?status=archived'), 'query.status');
    await expectFields(await send(list, undefined, {}, '/api/v1/meetings?limit=0'), 'query.limit');
    await expectFields(await send(list, undefined, {}, '/api/v1/meetings?limit=1000'), 'query.limit');
    await expectFields(await send(list, undefined, {}, '/api/v1/meetings?limit=ten'), 'query.limit');
    await expectFields(await send(list, undefined, {}, '/api/v1/meetings?cursor=made-up'), 'query.cursor');

    const invite = endpoints.find((e) => e.name === 'invite')!;
    await expectFields(await sendJson(invite, {}), 'body.userIds');
    await expectFields(await sendJson(invite, { userIds: [] }), 'body.userIds');
    await expectFields(await sendJson(invite, { userIds: ['me'] }), 'body.userIds.0');
    await expectFields(await sendJson(invite, { userIds: Array.from({ length: 1_000 }, () => crypto.randomUUID()) }), 'body.userIds');
  });

  it('never answers 500 to hostile but well-formed JSON (NUL characters, deep nesting, huge numbers)', async () => {
    const create = endpoints.find((e) => e.name === 'create meeting')!;
    const ok = create.body!() as Record<string, unknown>;
    const nested = `{"title":"x","startTime":"${ok.startTime}","duration":10,"settings":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const probes: [Endpoint, string][] = [
      [create, JSON.stringify({ ...ok, title: 'a\u0000b' })],
      [create, JSON.stringify({ ...ok, settings: { 'k\u0000': 'v\u0000' } })],
      [create, nested],
      [create, JSON.stringify({ ...ok, duration: 0 }).replace('"duration":0', '"duration":1e400')],
      [endpoints.find((e) => e.name === 'register')!, JSON.stringify({ username: `bi_${run}_nul`, email: `bi_${run}_nul@example.test`, password: 'a-long-enough-password', fullName: 'Ada\u0000' })],
      [endpoints.find((e) => e.name === 'login')!, JSON.stringify({ login: 'ada\u0000', password: 'x\u0000' })],
      [endpoints.find((e) => e.name === 'ai task')!, JSON.stringify({ type: 'sentiment', meetingId: `${meetingId}\u0000`, payload: { text: 'x' } })],
    ];
    const failures: string[] = [];
    for (const [endpoint, text] of probes) {
      const response = await send(endpoint, text, { 'content-type': 'application/json' });
      if (response.status < 400 || response.status >= 500) failures.push(`${response.status} ${endpoint.name}: ${text.slice(0, 100)}`);
      else await expectCleanError(response, response.status);
    }
    expect(failures).toEqual([]);
  });

  it('refuses non-UUID ids in paths with 400 on every /meetings/{id} route', async () => {
    for (const endpoint of endpoints.filter((e) => e.path().includes(meetingId))) {
      for (const id of ['123', 'not-a-uuid', `${meetingId}x`, "'%20or%201=1--", '..%2F..%2Fetc']) {
        const path = endpoint.path().replace(meetingId, id);
        const body = endpoint.body?.();
        const response =
          body === undefined ? await send(endpoint, undefined, {}, path) : await sendJson(endpoint, body, path);
        await expectFields(response, 'param.id');
      }
    }
  });

  it('ai tasks: unknown types and enum values list the field', async () => {
    const ai = endpoints.find((e) => e.name === 'ai task')!;
    await expectFields(await sendJson(ai, { type: 'translate', meetingId, payload: {} }), 'body.type');
    await expectFields(await sendJson(ai, { type: 'summary', meetingId: 'm1' }), 'body.meetingId');
    await expectFields(await sendJson(ai, { type: 'summary', meetingId, payload: { sources: ['email'] } }), 'body.payload.sources.0');
  });

  it('does not accept requests without a valid token on protected endpoints (401)', async () => {
    for (const endpoint of endpoints.filter((e) => e.auth)) {
      const body = endpoint.body?.();
      for (const authorization of [undefined, 'Bearer', 'Bearer not.a.jwt', 'Basic dXNlcjpwYXNz', `Bearer ${me.accessToken}x`]) {
        const response = await edge.fetch(endpoint.path(), {
          method: endpoint.method,
          headers: { ...(authorization ? { authorization } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        await expectCleanError(response, 401, 'unauthorized');
      }
    }
  });

  it('answers unknown routes and methods with a clean 404/405', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing-here'],
      ['DELETE', `/api/v1/meetings/${meetingId}`],
      ['PUT', '/api/v1/meetings'],
      ['GET', `/api/v1/meetings/${meetingId}/join`],
      ['GET', '/api/v1/ai/tasks'],
    ] as const) {
      const response = await edge.fetch(path, { method, headers: authHeaders(me.accessToken) });
      expect([404, 405]).toContain(response.status);
      await expectCleanError(response, response.status);
    }
  });

  it('wrote nothing for any of the above', async () => {
    expect(await snapshot()).toEqual(before);
  });
});

describe('CORS', () => {
  it('lets the configured origin read responses (errors included) and expose the request id', async () => {
    const response = await edge.fetch('/api/v1/users/me', { headers: { origin: allowedOrigin, ...authHeaders(me.accessToken) } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(response.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
    expect(response.headers.get('vary')?.toLowerCase()).toContain('origin');

    const denied = await edge.fetch('/api/v1/users/me', { headers: { origin: allowedOrigin } });
    expect(denied.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    await expectCleanError(denied, 401, 'unauthorized');
  });

  it('gives other origins no Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.test.evil.example', 'http://app.example.test', 'null']) {
      const response = await edge.fetch('/api/v1/users/me', { headers: { origin, ...authHeaders(me.accessToken) } });
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('answers preflights for the allowed origin, and not for others', async () => {
    const preflight = (origin: string) =>
      edge.fetch('/api/v1/meetings', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const ok = await preflight(allowedOrigin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/);
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/content-type/);
    expect(Number(ok.headers.get('access-control-max-age'))).toBeGreaterThan(0);

    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------
// Issue 12, case 4: text Postgres or MongoDB cannot store is refused at the boundary
// ---------------------------------------------------------------------------------------

describe('text the databases cannot store', () => {
  const patch = () => endpoints.find((e) => e.name === 'patch meeting')!;
  const storedSettings = async () =>
    (await pg.db.select({ settings: meetings.settings }).from(meetings).where(eq(meetings.id, meetingId)))[0]?.settings;

  it('as written: PATCH {"settings":{"s":"\\ud800"}} is a 400 naming the field, not a 500, and writes nothing', async () => {
    const before = await storedSettings();
    const response = await send(patch(), '{"settings":{"s":"\\ud800"}}', { 'content-type': 'application/json' });
    const body = await expectCleanError(response, 400, 'validation_failed');
    expect(body.error.details).toEqual([{ path: 'body.settings.s', message: 'must not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)' }]);
    expect(await storedSettings()).toEqual(before);
  });

  it('refuses lone surrogates and NUL anywhere in a JSON value, keys too, at any depth, naming each field', async () => {
    const before = await storedSettings();
    const cases: [string, string][] = [
      ['{"settings":{"\\udc00x":1}}', 'body.settings.\\udc00x'],
      ['{"settings":{"a":{"b":[1,{"c":"x\\udbff"}]}}}', 'body.settings.a.b.1.c'],
      ['{"settings":{"a":{"k\\u0000":true}}}', 'body.settings.a.k\\u0000'],
      ['{"title":"half an emoji \\ud83d"}', 'body.title'],
      ['{"title":"\\ude00 reversed \\ud83d"}', 'body.title'],
    ];
    for (const [json, path] of cases) await expectFields(await send(patch(), json, { 'content-type': 'application/json' }), path);
    expect(await storedSettings()).toEqual(before);
    // A whole surrogate pair is one character (an emoji) and is stored as it is.
    const emoji = await sendJson(patch(), { title: 'Sync 😀', settings: { mood: '😀' } });
    expect(emoji.status).toBe(200);
    expect(await storedSettings()).toEqual({ mood: '😀' });
  });

  it('refuses them on every route that takes text: register, login, create, AI intake', async () => {
    const register = endpoints.find((e) => e.name === 'register')!;
    const input = { username: `bi_${run}_sur`, email: `bi_${run}_sur@example.test`, password: 'a-long-enough-password' };
    await expectFields(await sendJson(register, { ...input, fullName: 'Ada \ud800' }), 'body.fullName');
    await expectFields(await sendJson(endpoints.find((e) => e.name === 'login')!, { login: input.username, password: 'pw\udfff-long-enough' }), 'body.password');
    const create = endpoints.find((e) => e.name === 'create meeting')!;
    await expectFields(await sendJson(create, { ...(create.body!() as object), settings: { list: ['ok', '\ud800'] } }), 'body.settings.list.1');
    await expectFields(
      await sendJson(endpoints.find((e) => e.name === 'ai task')!, { type: 'sentiment', meetingId, payload: { text: 'fine \udc00' } }),
      'body.payload.text',
    );
    // Nothing was written: the account does not exist.
    const login = await send(endpoints.find((e) => e.name === 'login')!, JSON.stringify({ login: input.username, password: input.password }), {
      'content-type': 'application/json',
    });
    expect(login.status).toBe(401);
  });
});

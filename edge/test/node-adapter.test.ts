// The edge under Node: edge/src/node.ts started as its own process (@hono/node-server on
// a free port), driven over real HTTP. Same app, same answers as in workerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { TokenVerifier } from 'livekit-server-sdk';
import type { Redis as TcpRedis } from 'ioredis';
import { decodeTaskEntry, meetingRoomName, redisKeys } from '@huddle/protocol';
import { testSecrets, type EdgeUnderTest } from './harness.ts';
import { authHeaders, randomSuffix, registerAndLogin, type SignedInUser } from './users-helper.ts';
import { openTestRedis, testDatabaseUrl, TestRegistry } from './join-fixtures.ts';
import { spawnNodeEdge } from './node-edge.ts';

const stream = `test:${randomSuffix()}:ai:tasks`;
const children: ChildProcess[] = [];
let base: string;
let edge: EdgeUnderTest;
let redis: TcpRedis;
let registry: TestRegistry;
let stderr = '';
const meetingIds: string[] = [];

/** Starts edge/src/node.ts on a free port and resolves with its base URL. */
async function startNodeEdge(env: Record<string, string>): Promise<string> {
  const edge = await spawnNodeEdge(env);
  children.push(edge.child);
  stderr += edge.stderr();
  edge.child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return edge.url;
}

// The suite's clients send random CF-Connecting-IP addresses (see users-helper.ts), as
// a proxy in front would: so the main instance trusts them, or rate limits would bite.
const nodeEdgeEnv = (extra: Record<string, string>): Record<string, string> => ({
  DATABASE_URL: testDatabaseUrl,
  UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
  ...testSecrets,
  CORS_ORIGINS: 'https://app.example.test',
  LOG_LEVEL: 'warn',
  MEDIA_NODE_REGISTRY_PREFIX: registry.prefix,
  AI_TASKS_STREAM: stream,
  ...extra,
});

beforeAll(async () => {
  redis = openTestRedis();
  registry = new TestRegistry(redis);
  base = await startNodeEdge(nodeEdgeEnv({ EDGE_TRUST_PROXY: 'true' }));
  edge = {
    fetch: (path, init) => fetch(`${base}${path}`, init),
    close: async () => {},
    logs: () => stderr.split('\n').filter(Boolean),
  };
});
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null) continue;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await registry?.clear();
  await redis?.del(stream, ...meetingIds.map((id) => redisKeys.meetingNode(id)));
  redis?.disconnect();
});

describe('the edge under Node (edge/src/node.ts)', () => {
  let host: SignedInUser;
  let guest: SignedInUser;

  it('answers /health and /ready', async () => {
    expect(await (await edge.fetch('/health')).json()).toEqual({ status: 'ok', service: 'edge' });
    const ready = await edge.fetch('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ dependencies: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('registers, logs in, creates a meeting, joins it with a valid token and queues an AI task', async () => {
    [host, guest] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge)]);
    const me = await edge.fetch('/api/v1/users/me', { headers: authHeaders(host.accessToken) });
    expect(await me.json()).toMatchObject({ id: host.user.id });

    const created = await edge.fetch('/api/v1/meetings', {
      method: 'POST',
      headers: authHeaders(host.accessToken),
      body: JSON.stringify({
        title: 'Node adapter',
        startTime: new Date(Date.now() + 600_000).toISOString(),
        duration: 15,
        invitedUserIds: [guest.user.id],
      }),
    });
    const meeting = (await created.json()) as { id: string; participants: { userId: string; role: string }[] };
    expect(created.status, JSON.stringify(meeting)).toBe(201);
    meetingIds.push(meeting.id);
    expect(meeting.participants).toEqual(
      expect.arrayContaining([expect.objectContaining({ userId: host.user.id, role: 'host' })]),
    );

    const node = await registry.register(`node-${randomSuffix(3)}`, { backend: 'livekit' });
    const joined = await edge.fetch(`/api/v1/meetings/${meeting.id}/join`, { method: 'POST', headers: authHeaders(guest.accessToken) });
    const grant = (await joined.json()) as { backend: string; url: string; token: string };
    expect(joined.status, JSON.stringify(grant)).toBe(200);
    expect(grant).toMatchObject({ backend: 'livekit', url: node.url });
    const claims = await new TokenVerifier(testSecrets.LIVEKIT_API_KEY, testSecrets.LIVEKIT_API_SECRET).verify(grant.token);
    expect(claims).toMatchObject({ sub: guest.user.id, video: { room: meetingRoomName(meeting.id), roomJoin: true } });
    expect(claims.video?.roomAdmin ?? false).toBe(false);

    const queued = await edge.fetch('/api/v1/ai/tasks', {
      method: 'POST',
      headers: authHeaders(guest.accessToken),
      body: JSON.stringify({ type: 'sentiment', meetingId: meeting.id, payload: { text: 'Great meeting' } }),
    });
    expect(queued.status).toBe(202);
    const { taskId } = (await queued.json()) as { taskId: string };
    const entries = await redis.xrange(stream, '-', '+');
    const tasks = entries.map(([, fields]) => decodeTaskEntry(fields));
    expect(tasks).toContainEqual({ ok: true, task: expect.objectContaining({ taskId, userId: guest.user.id, type: 'sentiment' }) });
  });

  it('gives the same clean errors: 400 fields, 401, 404, 413 for a streamed body, 415, CORS', async () => {
    const bad = await edge.fetch('/api/v1/meetings', { method: 'POST', headers: authHeaders(host.accessToken), body: '{"title": 5}' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-request-id')).toBeTruthy();
    expect(await bad.json()).toMatchObject({ error: { code: 'validation_failed' } });

    expect((await edge.fetch('/api/v1/users/me')).status).toBe(401);
    expect((await edge.fetch('/api/v1/nope')).status).toBe(404);
    const typed = await edge.fetch('/api/v1/auth/login', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(typed.status).toBe(415);

    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 1024 * 1024) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const big = await edge.fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'payload_too_large' } });

    const cors = await edge.fetch('/api/v1/meetings', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
    });
    expect(cors.status).toBe(204);
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
  });

  it('shuts down on SIGTERM (server and Postgres pool closed, so the process exits)', async () => {
    const child = children[0]!;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code, signal] = (await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no exit within 10 s')), 10_000)),
    ])) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stderr).not.toMatch(/Error|at \S+ \(/);
  });
});

describe('the edge under Node without a trusted proxy', () => {
  it('rate-limits by the socket address, ignoring client-sent CF-Connecting-IP and X-Forwarded-For', async () => {
    const direct = await startNodeEdge(nodeEdgeEnv({}));
    const spoofed = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const response = await fetch(`${direct}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': spoofed, 'x-forwarded-for': spoofed },
      body: JSON.stringify({ login: `nobody-${randomSuffix()}`, password: 'not-the-password' }),
    });
    expect(response.status).toBe(401);
    expect(await redis.exists(`ratelimit:login:ip:${spoofed}`)).toBe(0);
    expect(await redis.exists('ratelimit:login:ip:127.0.0.1')).toBe(1);
  });
});

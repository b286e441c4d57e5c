// The edge under Node: edge/src/node.ts started as its own process (@hono/node-server on
// a free port), driven over real HTTP. Same app, same answers as in workerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Redis } from '@upstash/redis';
import { fileURLToPath } from 'node:url';
import { TokenVerifier } from 'livekit-server-sdk';
import type { Redis as TcpRedis } from 'ioredis';
import { decodeTaskEntry, meetingRoomName, redisKeys } from '@huddle/protocol';
import { testSecrets, type EdgeUnderTest } from './harness.ts';
import { LOGIN_LIMITS } from '../src/services/auth.ts';
import { remainingHits } from '../src/services/rate-limit.ts';
import { authHeaders, randomSuffix, registerAndLogin, roomInWindow, type SignedInUser } from './users-helper.ts';
import { openTestRedis, testDatabaseUrl, TestRegistry } from './join-fixtures.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
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
  const child = spawn(process.execPath, ['edge/src/node.ts'], {
    cwd: root,
    env: { ...process.env, ...env, EDGE_PORT: '0', EDGE_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node edge did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`node edge exited (${code}): ${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /"port":(\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    });
  });
}

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
  // The main instance stands behind a proxy on loopback (EDGE_TRUSTED_PROXIES), and the
  // suite plays that proxy: the random client address the helpers put in CF-Connecting-IP
  // (users-helper.ts) is forwarded as X-Forwarded-For — otherwise every test would share
  // one rate-limit key, 127.0.0.1.
  base = await startNodeEdge(nodeEdgeEnv({ EDGE_TRUSTED_PROXIES: 'loopback' }));
  edge = {
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      const client = headers.get('cf-connecting-ip');
      if (client) headers.set('x-forwarded-for', client);
      return fetch(`${base}${path}`, { ...init, headers });
    },
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
    const own = await startNodeEdge(nodeEdgeEnv({}));
    expect((await fetch(`${own}/ready`)).status).toBe(200); // its Postgres pool is open now
    const child = children.at(-1)!;
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

/** One raw HTTP/1.1 exchange with the edge from `localAddress`; resolves with status, headers and body text. */
function rawExchange(url: string, payload: string, options: { halfClose?: boolean; localAddress?: string } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; headers: string; body: string }>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress: options.localAddress }, () => {
      socket.write(payload);
      if (options.halfClose) socket.end();
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head.toLowerCase(), body });
    });
    setTimeout(() => socket.destroy(new Error(`no answer within 10 s; got ${JSON.stringify(data)}`)), 10_000).unref();
  });
}

/** A login from `localAddress` (a loopback address of its own), with whatever headers the client wants. */
function loginFrom(url: string, localAddress: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ login: `nobody-${randomSuffix()}`, password: 'not-the-password' });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port: Number(port), method: 'POST', path: '/api/v1/auth/login', localAddress, agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A loopback address no other test uses (127.0.0.0/8 all reaches this host). */
const privateLoopback = () => `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const perIp = (address: string) => ({ identifier: `login:ip:${address}`, ...LOGIN_LIMITS.perIp });
const upstash = () => new Redis({ url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079', token: testSecrets.UPSTASH_REDIS_REST_TOKEN });

// Issue 12, case 7: the self-hosted edge must not trust what clients say.
describe('the self-hosted edge (Node adapter)', () => {
  it('without a trusted proxy: a client changing CF-Connecting-IP and X-Forwarded-For on every request is still limited per address', async () => {
    const direct = await startNodeEdge(nodeEdgeEnv({}));
    const from = privateLoopback();
    await roomInWindow(LOGIN_LIMITS.perIp.windowSeconds, 40_000);
    const statuses: number[] = [];
    for (let i = 0; i < 34; i++) {
      const spoofed = `198.51.100.${1 + (i % 250)}`;
      statuses.push(await loginFrom(direct, from, { 'cf-connecting-ip': spoofed, 'x-forwarded-for': spoofed }));
    }
    expect(statuses.slice(0, LOGIN_LIMITS.perIp.limit)).toEqual(Array(LOGIN_LIMITS.perIp.limit).fill(401));
    expect(statuses.slice(LOGIN_LIMITS.perIp.limit)).toEqual([429, 429, 429, 429]);
    expect(await remainingHits(upstash(), perIp(from))).toBe(0);
  }, 120_000);

  it('behind a trusted proxy: the client is the last X-Forwarded-For hop that is not a trusted proxy', async () => {
    const client = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const spoofed = `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
    const redis = upstash();
    const before = await remainingHits(redis, perIp(spoofed));
    // What a client sent (spoofed), then what our proxy appended (the client's real address).
    const status = await loginFrom(base, '127.0.0.1', { 'x-forwarded-for': `${spoofed}, ${client}`, 'cf-connecting-ip': spoofed });
    expect(status).toBe(401);
    expect(await remainingHits(redis, perIp(client))).toBe(LOGIN_LIMITS.perIp.limit - 1);
    expect(await remainingHits(redis, perIp(spoofed))).toBe(before);
  });

  it('answers malformed HTTP with the JSON error shape, never a stack trace', async () => {
    const truncated = await rawExchange(
      base,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"login":"a"',
      { halfClose: true },
    );
    const garbage = await rawExchange(base, 'GARBAGE\r\n\r\n');
    const badLength = await rawExchange(base, 'POST /api/v1/auth/login HTTP/1.1\r\nHost: edge\r\nContent-Length: abc\r\n\r\n');
    const hugeHeaders = await rawExchange(base, `GET /health HTTP/1.1\r\nHost: edge\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    for (const [reply, status, code] of [
      [truncated, 400, 'bad_request'],
      [garbage, 400, 'bad_request'],
      [badLength, 400, 'bad_request'],
      [hugeHeaders, 431, 'headers_too_large'],
    ] as const) {
      expect(reply.status).toBe(status);
      expect(reply.headers).toMatch(/content-type: application\/json/);
      expect(reply.headers).toMatch(/x-content-type-options: nosniff/);
      expect(JSON.parse(reply.body)).toEqual({ error: { code, message: expect.any(String) } });
      expect(reply.body).not.toMatch(/\/|at \S+ \(/);
    }
    expect(JSON.parse(truncated.body).error.message).toMatch(/Content-Length/);
  });

  it('carries the security headers on every response, errors included', async () => {
    for (const response of [
      await edge.fetch('/health'),
      await edge.fetch('/api/v1/nope'),
      await edge.fetch('/api/v1/users/me'),
      await edge.fetch('/nope'),
    ]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    }
  });

  it('refuses to start with the old EDGE_TRUST_PROXY or an EDGE_TRUSTED_PROXIES it cannot parse', async () => {
    await expect(startNodeEdge(nodeEdgeEnv({ EDGE_TRUST_PROXY: 'true' }))).rejects.toThrow(/EDGE_TRUST_PROXY is no longer supported/);
    await expect(startNodeEdge(nodeEdgeEnv({ EDGE_TRUSTED_PROXIES: '10.0.0.0/99' }))).rejects.toThrow(/EDGE_TRUSTED_PROXIES/);
  });
});

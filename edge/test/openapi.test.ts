// The OpenAPI document against the running edge (workerd): 405 behaviour, a 429 wherever a
// rate limit applies (found by driving every operation once and watching Redis), and the
// statuses and headers every operation must list.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis as TcpRedis } from 'ioredis';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { authHeaders, newUserInput, postJson, randomSuffix, registerAndLogin, type SignedInUser } from './users-helper.ts';
import { openTestRedis, TestRegistry } from './join-fixtures.ts';
import { createLinkMeeting } from './lobby-fixtures.ts';

interface Operation {
  responses: Record<string, { headers?: Record<string, { required?: boolean }> }>;
  security?: unknown;
  requestBody?: unknown;
  parameters?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { responses?: Record<string, { headers?: Record<string, { required?: boolean }> }> };
}

const run = randomSuffix(4);
const stream = `test:${run}:ai:tasks`;
let edge: EdgeUnderTest;
let redis: TcpRedis;
let registry: TestRegistry;
let doc: Document;

beforeAll(async () => {
  redis = openTestRedis();
  registry = new TestRegistry(redis);
  edge = await startEdge({ vars: { AI_TASKS_STREAM: stream, MEDIA_NODE_REGISTRY_PREFIX: registry.prefix } });
  await registry.register(`n-${run}`);
  doc = (await (await edge.fetch('/api/v1/openapi.json')).json()) as Document;
});
afterAll(async () => {
  await registry?.clear();
  await redis?.del(stream);
  await edge?.close();
  redis?.disconnect();
});

/** Every documented operation as `METHOD /path/{template}`. */
const documentedOperations = (): string[] =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

describe('405 Method Not Allowed', () => {
  it('answers a method a path lacks with 405, an Allow header and a JSON error — before auth and body checks', async () => {
    const path = `/api/v1/meetings/${crypto.randomUUID()}`;
    // No credentials and a body that is not JSON: neither 401 nor 415 comes first.
    const response = await edge.fetch(path, { method: 'DELETE', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PATCH, OPTIONS');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toMatch(/\S{8,}/);
    expect(await response.json()).toEqual({
      error: { code: 'method_not_allowed', message: 'DELETE is not supported here; use GET, HEAD, PATCH, OPTIONS.' },
    });
  });

  it('lists exactly the documented methods of each path in Allow (plus HEAD with GET, and OPTIONS)', async () => {
    for (const [template, item] of Object.entries(doc.paths)) {
      const path = template.replace('{id}', crypto.randomUUID());
      const documented = Object.keys(item).map((m) => m.toUpperCase());
      const missing = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((m) => !documented.includes(m))!;
      const response = await edge.fetch(path, { method: missing });
      expect(response.status, `${missing} ${template}`).toBe(405);
      const allow = (response.headers.get('allow') ?? '').split(', ');
      const expected = new Set([...documented, ...(documented.includes('GET') ? ['HEAD'] : []), 'OPTIONS']);
      expect(new Set(allow), template).toEqual(expected);
      await response.body?.cancel();
    }
  });

  it('answers OPTIONS outside CORS with 204 and Allow; an unknown path stays 404', async () => {
    const options = await edge.fetch('/health', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const unknown = await edge.fetch('/api/v1/nothing-here', { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('is in the document as a shared response with a required Allow header', () => {
    const response = doc.components.responses?.MethodNotAllowed;
    expect(response?.headers?.Allow?.required).toBe(true);
  });
});

describe('statuses and headers of every documented operation', () => {
  it('every response declares X-Request-Id; every 429 a required Retry-After', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(response.headers?.['X-Request-Id']?.required, `${method} ${path} ${status}`).toBe(true);
          if (status === '429') expect(response.headers?.['Retry-After']?.required, `${method} ${path}`).toBe(true);
        }
      }
    }
  });

  it('lists what the shared middleware answers: 413/415 on writes, 503 on /api, 401 where auth is needed, 400 with input', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const statuses = Object.keys(operation.responses);
        const label = `${method.toUpperCase()} ${path}`;
        if (method === 'post' || method === 'patch') expect(statuses, label).toEqual(expect.arrayContaining(['413', '415']));
        if (path.startsWith('/api/')) expect(statuses, label).toContain('503');
        if (operation.security) expect(statuses, label).toContain('401');
        if (operation.requestBody || operation.parameters?.length) expect(statuses, label).toContain('400');
      }
    }
  });
});

describe('429 wherever a rate limit applies', () => {
  // One valid request per documented operation, each from its own client address. An
  // operation is rate-limited when the request leaves a rate-limit counter in Redis
  // naming that address or the caller.
  let signedIn: SignedInUser;
  let invitee: SignedInUser;
  let meetingId: string;
  let linkCode: string; // a meeting guests may enter with its link
  let ticket: { id: string; guestToken: string };

  beforeAll(async () => {
    [signedIn, invitee] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge)]);
    linkCode = (await createLinkMeeting(edge, signedIn, { entry: 'guests' })).code;
  });

  const ipv4 = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  const asUser = (ip: string, extra: Record<string, string> = {}) => ({ ...authHeaders(signedIn.accessToken), 'cf-connecting-ip': ip, ...extra });
  const soon = () => new Date(Date.now() + 3_600_000).toISOString();

  /** Valid requests, in an order where each finds what it needs (the meeting, a session). */
  const requests: [string, (ip: string) => Promise<Response>][] = [
    ['GET /health', (ip) => edge.fetch('/health', { headers: { 'cf-connecting-ip': ip } })],
    ['GET /ready', (ip) => edge.fetch('/ready', { headers: { 'cf-connecting-ip': ip } })],
    ['GET /api/v1/openapi.json', (ip) => edge.fetch('/api/v1/openapi.json', { headers: { 'cf-connecting-ip': ip } })],
    ['POST /api/v1/auth/register', (ip) => edge.fetch('/api/v1/auth/register', postJson(newUserInput(), { 'cf-connecting-ip': ip }))],
    [
      'POST /api/v1/auth/login',
      async (ip) => {
        const input = newUserInput();
        await edge.fetch('/api/v1/auth/register', postJson(input, { 'cf-connecting-ip': ipv4() }));
        return edge.fetch('/api/v1/auth/login', postJson({ login: input.username, password: input.password }, { 'cf-connecting-ip': ip }));
      },
    ],
    ['POST /api/v1/auth/refresh', (ip) => edge.fetch('/api/v1/auth/refresh', postJson({ refreshToken: invitee.refreshToken }, { 'cf-connecting-ip': ip }))],
    ['GET /api/v1/users/me', (ip) => edge.fetch('/api/v1/users/me', { headers: asUser(ip) })],
    [
      'GET /api/v1/users/lookup',
      (ip) => edge.fetch(`/api/v1/users/lookup?login=${encodeURIComponent(invitee.user.username)}`, { headers: asUser(ip) }),
    ],
    [
      'POST /api/v1/meetings',
      async (ip) => {
        const response = await edge.fetch('/api/v1/meetings', {
          method: 'POST',
          headers: asUser(ip),
          body: JSON.stringify({ title: 'Rate limit probe', startTime: soon(), duration: 30 }),
        });
        meetingId = ((await response.clone().json()) as { id: string }).id;
        return response;
      },
    ],
    ['GET /api/v1/meetings', (ip) => edge.fetch('/api/v1/meetings?limit=5', { headers: asUser(ip) })],
    ['GET /api/v1/meetings/{id}', (ip) => edge.fetch(`/api/v1/meetings/${meetingId}`, { headers: asUser(ip) })],
    [
      'PATCH /api/v1/meetings/{id}',
      (ip) => edge.fetch(`/api/v1/meetings/${meetingId}`, { method: 'PATCH', headers: asUser(ip), body: JSON.stringify({ duration: 45 }) }),
    ],
    [
      'POST /api/v1/meetings/{id}/invitations',
      (ip) =>
        edge.fetch(`/api/v1/meetings/${meetingId}/invitations`, {
          method: 'POST',
          headers: asUser(ip),
          body: JSON.stringify({ userIds: [invitee.user.id] }),
        }),
    ],
    ['POST /api/v1/meetings/{id}/start', (ip) => edge.fetch(`/api/v1/meetings/${meetingId}/start`, { method: 'POST', headers: asUser(ip) })],
    ['POST /api/v1/meetings/{id}/join', (ip) => edge.fetch(`/api/v1/meetings/${meetingId}/join`, { method: 'POST', headers: asUser(ip) })],
    [
      'POST /api/v1/ai/tasks',
      (ip) =>
        edge.fetch('/api/v1/ai/tasks', {
          method: 'POST',
          headers: asUser(ip),
          body: JSON.stringify({ type: 'sentiment', meetingId, payload: { text: 'All good.' } }),
        }),
    ],
    ['POST /api/v1/meetings/{id}/end', (ip) => edge.fetch(`/api/v1/meetings/${meetingId}/end`, { method: 'POST', headers: asUser(ip) })],
    ['GET /api/v1/meetings/{id}/summary', (ip) => edge.fetch(`/api/v1/meetings/${meetingId}/summary`, { headers: asUser(ip) })],
    ['GET /api/v1/meetings/by-code/{code}', (ip) => edge.fetch(`/api/v1/meetings/by-code/${linkCode}`, { headers: { 'cf-connecting-ip': ip } })],
    [
      'POST /api/v1/meetings/by-code/{code}/entry',
      async (ip) => {
        const response = await edge.fetch(`/api/v1/meetings/by-code/${linkCode}/entry`, postJson({ displayName: 'Probe' }, { 'cf-connecting-ip': ip }));
        const body = (await response.clone().json()) as { ticketId: string; guest: { token: string } };
        ticket = { id: body.ticketId, guestToken: body.guest.token };
        return response;
      },
    ],
    [
      'GET /api/v1/meetings/by-code/{code}/entry/{ticketId}',
      (ip) =>
        edge.fetch(`/api/v1/meetings/by-code/${linkCode}/entry/${ticket.id}?waitSeconds=0`, {
          headers: { ...authHeaders(ticket.guestToken), 'cf-connecting-ip': ip },
        }),
    ],
    [
      'DELETE /api/v1/meetings/by-code/{code}/entry/{ticketId}',
      (ip) =>
        edge.fetch(`/api/v1/meetings/by-code/${linkCode}/entry/${ticket.id}`, {
          method: 'DELETE',
          headers: { ...authHeaders(ticket.guestToken), 'cf-connecting-ip': ip },
        }),
    ],
    [
      'POST /api/v1/auth/logout',
      async (ip) => {
        const session = await edge.fetch('/api/v1/auth/refresh', postJson({ refreshToken: signedIn.refreshToken }, { 'cf-connecting-ip': ipv4() }));
        const { accessToken } = (await session.json()) as { accessToken: string };
        return edge.fetch('/api/v1/auth/logout', { method: 'POST', headers: { ...authHeaders(accessToken), 'cf-connecting-ip': ip } });
      },
    ],
  ];

  /** Rate-limit counters in Redis whose key names one of `markers`. */
  async function counters(markers: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', '*ratelimit*', 'COUNT', 1000);
      cursor = next;
      for (const key of keys) if (markers.some((m) => key.includes(m))) found.add(key);
    } while (cursor !== '0');
    return found;
  }

  it('covers every documented operation', () => {
    expect(requests.map(([name]) => name).sort()).toEqual(documentedOperations().sort());
  });

  it('lists 429 (with Retry-After) exactly for the operations that count requests against a limit', async () => {
    const limited: string[] = [];
    for (const [name, send] of requests) {
      const ip = ipv4();
      const markers = [ip, signedIn.user.id];
      const before = await counters(markers);
      const response = await send(ip);
      expect(response.status, `${name}: ${await response.clone().text()}`).toBeLessThan(300);
      await response.body?.cancel();
      const after = await counters(markers);
      if ([...after].some((key) => !before.has(key))) limited.push(name);
    }
    const documented429 = documentedOperations().filter((name) => {
      const [method, path] = name.split(' ') as [string, string];
      return '429' in (doc.paths[path]?.[method.toLowerCase()]?.responses ?? {});
    });
    expect(limited.sort()).toEqual(documented429.sort());
    // Today: registration and login per address, AI tasks and user look-ups per user, the
    // link routes per address (and per code).
    expect(limited).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/login',
        'POST /api/v1/ai/tasks',
        'GET /api/v1/users/lookup',
        'GET /api/v1/meetings/by-code/{code}',
        'POST /api/v1/meetings/by-code/{code}/entry',
      ]),
    );
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TokenVerifier, type ClaimGrants } from 'livekit-server-sdk';
import type { Redis as TcpRedis } from 'ioredis';
import type { NodeDb } from '@huddle/db';
import { MEETING_NODE_TTL_SECONDS, meetingRoomName, redisKeys } from '@huddle/protocol';
import { startEdge, testSecrets, type EdgeUnderTest } from './harness.ts';
import { authHeaders, randomSuffix, registerAndLogin, type SignedInUser } from './users-helper.ts';
import { insertMeeting, openTestDb, openTestRedis, sleep, TestRegistry } from './join-fixtures.ts';

let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: TcpRedis;
let registry: TestRegistry;
let host: SignedInUser;
let attendee: SignedInUser;
let cohost: SignedInUser;
let outsider: SignedInUser;
let decliner: SignedInUser;
const meetingIds: string[] = [];

beforeAll(async () => {
  pg = openTestDb();
  redis = openTestRedis();
  registry = new TestRegistry(redis);
  // A private registry prefix: this suite's nodes are invisible to other suites and theirs to it.
  edge = await startEdge({ vars: { MEDIA_NODE_REGISTRY_PREFIX: registry.prefix } });
  [host, attendee, cohost, outsider, decliner] = await Promise.all([
    registerAndLogin(edge),
    registerAndLogin(edge, { fullName: null }),
    registerAndLogin(edge),
    registerAndLogin(edge),
    registerAndLogin(edge),
  ]);
});
afterEach(() => registry.clear());
afterAll(async () => {
  await registry?.clear();
  if (meetingIds.length > 0) await redis?.del(...meetingIds.map((id) => redisKeys.meetingNode(id)));
  await edge?.close();
  await pg?.close();
  redis?.disconnect();
});

/** A meeting of `host` with attendee (pending), cohost (accepted) and decliner (declined). */
async function newMeeting(status: 'scheduled' | 'ongoing' | 'ended' | 'cancelled' = 'scheduled'): Promise<string> {
  const id = await insertMeeting(pg, {
    hostId: host.user.id,
    status,
    participants: [
      { userId: attendee.user.id, role: 'attendee', status: 'pending' },
      { userId: cohost.user.id, role: 'cohost', status: 'accepted' },
      { userId: decliner.user.id, role: 'attendee', status: 'declined' },
    ],
  });
  meetingIds.push(id);
  return id;
}

const join = (meetingId: string, who: SignedInUser) =>
  edge.fetch(`/api/v1/meetings/${meetingId}/join`, { method: 'POST', headers: authHeaders(who.accessToken) });

interface JoinBody {
  backend: string;
  url: string;
  token: string;
}

async function joinOk(meetingId: string, who: SignedInUser): Promise<JoinBody> {
  const response = await join(meetingId, who);
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body as JoinBody;
}

const verifier = new TokenVerifier(testSecrets.LIVEKIT_API_KEY, testSecrets.LIVEKIT_API_SECRET);
const nodeId = (name: string) => `${name}-${randomSuffix(3)}`;
const stickyNode = (meetingId: string) => redis.get(redisKeys.meetingNode(meetingId));

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(/\S/);
  expect(response.headers.get('x-request-id')).toBeTruthy();
}

describe('POST /api/v1/meetings/{id}/join: the token', () => {
  it('returns the node and a LiveKit token for the meeting room, with the caller as identity and the configured TTL', async () => {
    const node = await registry.register(nodeId('a'), { backend: 'mediasoup' });
    const meetingId = await newMeeting();
    const before = Math.floor(Date.now() / 1000);
    const body = await joinOk(meetingId, host);
    expect(body).toEqual({ backend: 'mediasoup', url: node.url, token: expect.any(String) });

    const claims: ClaimGrants = await verifier.verify(body.token);
    expect(claims.sub).toBe(host.user.id);
    expect(claims.iss).toBe(testSecrets.LIVEKIT_API_KEY);
    expect(claims.name).toBe(host.user.fullName);
    // Bound to the caller's login session and invitation (protocol's joinTokenAttributesSchema).
    expect(claims.attributes).toEqual({
      role: 'host',
      sid: host.refreshToken.split('.')[0],
      invitedAt: expect.stringMatching(/^\d{13}$/),
    });
    expect(claims.video).toMatchObject({
      room: meetingRoomName(meetingId),
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      roomAdmin: true,
    });
    // JOIN_TOKEN_TTL_SECONDS defaults to 600.
    expect(claims.exp! - claims.nbf!).toBe(600);
    expect(claims.exp!).toBeGreaterThanOrEqual(before + 600);
    expect(claims.exp!).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 601);
  });

  it('gives roomAdmin to hosts and cohosts only; attendees may publish; the name falls back to the username', async () => {
    await registry.register(nodeId('a'));
    const meetingId = await newMeeting('ongoing');
    const attendeeClaims = await verifier.verify((await joinOk(meetingId, attendee)).token);
    expect(attendeeClaims.sub).toBe(attendee.user.id);
    expect(attendeeClaims.name).toBe(attendee.user.username);
    expect(attendeeClaims.attributes).toMatchObject({ role: 'attendee', sid: attendee.refreshToken.split('.')[0] });
    expect(attendeeClaims.video?.roomAdmin ?? false).toBe(false);
    expect(attendeeClaims.video).toMatchObject({ room: meetingRoomName(meetingId), roomJoin: true, canPublish: true, canSubscribe: true });

    const cohostClaims = await verifier.verify((await joinOk(meetingId, cohost)).token);
    expect(cohostClaims.video?.roomAdmin).toBe(true);
    expect(cohostClaims.attributes).toMatchObject({ role: 'cohost', sid: cohost.refreshToken.split('.')[0] });
  });

  it('signs with the LiveKit secret: a verifier with another secret rejects the token', async () => {
    await registry.register(nodeId('a'));
    const { token } = await joinOk(await newMeeting(), host);
    const other = new TokenVerifier(testSecrets.LIVEKIT_API_KEY, 'another-secret-0123456789abcdef0123456789');
    await expect(other.verify(token)).rejects.toThrow();
  });
});

describe('POST /api/v1/meetings/{id}/join: placement', () => {
  it('puts a new meeting on the least-loaded live node (share of capacity), skipping full and draining nodes', async () => {
    await registry.register(nodeId('half'), { connections: 10, capacity: 20 }); // 0.5
    const best = await registry.register(nodeId('third'), { connections: 30, capacity: 100, backend: 'livekit' }); // 0.3
    await registry.register(nodeId('draining'), { connections: 0, capacity: 10, draining: true });
    await registry.register(nodeId('full'), { connections: 5, capacity: 5 });
    const meetingId = await newMeeting();
    const body = await joinOk(meetingId, host);
    expect(body).toMatchObject({ backend: 'livekit', url: best.url });
    expect(await stickyNode(meetingId)).toBe(best.nodeId);
    const ttl = await redis.ttl(redisKeys.meetingNode(meetingId));
    expect(ttl).toBeGreaterThan(MEETING_NODE_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(MEETING_NODE_TTL_SECONDS);
  });

  it('keeps a meeting on its node even when another node becomes less loaded, and refreshes the assignment TTL', async () => {
    const first = await registry.register(nodeId('first'), { connections: 0 });
    const second = await registry.register(nodeId('second'), { connections: 50 });
    const meetingId = await newMeeting();
    expect((await joinOk(meetingId, host)).url).toBe(first.url);

    await registry.register(first.nodeId, { connections: 99, capacity: 100 });
    await registry.register(second.nodeId, { connections: 0 });
    await redis.expire(redisKeys.meetingNode(meetingId), 60);
    expect((await joinOk(meetingId, attendee)).url).toBe(first.url);
    expect(await redis.ttl(redisKeys.meetingNode(meetingId))).toBeGreaterThan(60);
    // Full now, but the meeting stays: its participants must share one SFU.
    await registry.register(first.nodeId, { connections: 100, capacity: 100 });
    expect((await joinOk(meetingId, cohost)).url).toBe(first.url);
    expect(await stickyNode(meetingId)).toBe(first.nodeId);
  });

  it('treats an upper-case meeting id as the same meeting: same node, same room', async () => {
    const first = await registry.register(nodeId('first'));
    const meetingId = await newMeeting();
    expect((await joinOk(meetingId, host)).url).toBe(first.url);
    await registry.register(nodeId('idler'), { connections: 0, capacity: 1000 });
    await registry.register(first.nodeId, { connections: 90 });
    const upper = await joinOk(meetingId.toUpperCase(), attendee);
    expect(upper.url).toBe(first.url);
    expect((await verifier.verify(upper.token)).video?.room).toBe(meetingRoomName(meetingId));
  });

  it('follows an assignment made elsewhere (e.g. by a concurrent join) rather than its own choice', async () => {
    await registry.register(nodeId('idle'), { connections: 0 });
    const busy = await registry.register(nodeId('busy'), { connections: 80 });
    const meetingId = await newMeeting();
    await redis.set(redisKeys.meetingNode(meetingId), busy.nodeId, 'EX', 60);
    expect((await joinOk(meetingId, host)).url).toBe(busy.url);
  });

  it('sends concurrent first joins of one meeting to the same node', async () => {
    const nodes = await Promise.all(['p', 'q', 'r'].map((n) => registry.register(nodeId(n), { connections: 3 })));
    const meetingId = await newMeeting('ongoing');
    const results = await Promise.all([host, attendee, cohost, host, attendee, cohost].map((u) => joinOk(meetingId, u)));
    const urls = new Set(results.map((r) => r.url));
    expect(urls.size).toBe(1);
    const assigned = await stickyNode(meetingId);
    expect(nodes.find((n) => n.nodeId === assigned)?.url).toBe([...urls][0]);
  });

  it('reassigns a meeting whose node expired from the registry, and prunes it from the index', async () => {
    const doomed = await registry.register(nodeId('doomed'), { connections: 0 }, 400);
    const meetingId = await newMeeting();
    expect((await joinOk(meetingId, host)).url).toBe(doomed.url);
    const survivor = await registry.register(nodeId('survivor'), { connections: 70 });
    await sleep(600); // the doomed node misses its heartbeat: its entry's TTL runs out
    expect(await redis.exists(registry.entryKey(doomed.nodeId))).toBe(0);

    expect((await joinOk(meetingId, attendee)).url).toBe(survivor.url);
    expect(await stickyNode(meetingId)).toBe(survivor.nodeId);
    expect(await registry.members()).toEqual([survivor.nodeId]);
    expect((await joinOk(meetingId, host)).url).toBe(survivor.url);
  });

  it('moves a meeting off a draining node on the next join', async () => {
    const old = await registry.register(nodeId('old'));
    const meetingId = await newMeeting();
    expect((await joinOk(meetingId, host)).url).toBe(old.url);
    await registry.register(old.nodeId, { draining: true });
    const fresh = await registry.register(nodeId('fresh'), { connections: 90 });
    expect((await joinOk(meetingId, host)).url).toBe(fresh.url);
    expect(await stickyNode(meetingId)).toBe(fresh.nodeId);
  });

  it('answers 503 no_media_node (with Retry-After) when no live node can take the meeting, and assigns nothing', async () => {
    const meetingId = await newMeeting();
    const empty = await join(meetingId, host);
    expect(empty.headers.get('retry-after')).toMatch(/^\d+$/);
    await expectError(empty, 503, 'no_media_node');

    await registry.register(nodeId('full'), { connections: 10, capacity: 10 });
    await registry.register(nodeId('leaving'), { draining: true });
    await registry.register(nodeId('gone'), {}, 50);
    await sleep(150);
    await expectError(await join(meetingId, host), 503, 'no_media_node');
    expect(await stickyNode(meetingId)).toBeNull();
  });

  it("answers 503 (with Retry-After) while the meeting's node has no SFU, without moving or creating an assignment", async () => {
    const meetingId = await newMeeting();
    await registry.register(nodeId('down'), { backend: 'livekit', sfuAvailable: false, livekitUrl: 'wss://lk.media.test' });
    const none = await join(meetingId, host);
    expect(none.headers.get('retry-after')).toMatch(/^\d+$/);
    await expectError(none, 503, 'no_media_node');
    expect(await stickyNode(meetingId)).toBeNull();

    const lk = await registry.register(nodeId('lk'), { backend: 'livekit', livekitUrl: 'wss://lk.media.test' });
    expect(await joinOk(meetingId, host)).toMatchObject({ backend: 'livekit', url: lk.url, livekitUrl: 'wss://lk.media.test' });
    // Its SFU goes down: the meeting stays assigned there and joins wait, even with another node free.
    await registry.register(lk.nodeId, { backend: 'livekit', sfuAvailable: false, livekitUrl: 'wss://lk.media.test' });
    await registry.register(nodeId('other'));
    const down = await join(meetingId, host);
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
    await expectError(down, 503, 'no_media_node');
    expect(await stickyNode(meetingId)).toBe(lk.nodeId);
  });

  it('ignores malformed registry entries', async () => {
    await redis.multi().set(registry.entryKey('junk'), '{"nodeId":"junk","url":"http://x"}', 'EX', 30).sadd(registry.indexKey, 'junk').exec();
    const good = await registry.register(nodeId('good'), { connections: 99 });
    try {
      expect((await joinOk(await newMeeting(), host)).url).toBe(good.url);
    } finally {
      await redis.del(registry.entryKey('junk'));
    }
  });
});

describe('POST /api/v1/meetings/{id}/join: who may join', () => {
  it('is 404 for outsiders and unknown meetings, 403 after declining, 409 when ended or cancelled — and assigns nothing', async () => {
    await registry.register(nodeId('a'));
    const meetingId = await newMeeting();
    await expectError(await join(meetingId, outsider), 404, 'not_found');
    const unknown = randomUUID();
    await expectError(await join(unknown, host), 404, 'not_found');
    await expectError(await join(meetingId, decliner), 403, 'forbidden');
    expect(await stickyNode(meetingId)).toBeNull();
    expect(await stickyNode(unknown)).toBeNull();

    const ended = await newMeeting('ended');
    await expectError(await join(ended, host), 409, 'meeting_ended');
    const cancelled = await newMeeting('cancelled');
    await expectError(await join(cancelled, attendee), 409, 'meeting_cancelled');
    expect(await stickyNode(ended)).toBeNull();
    expect(await stickyNode(cancelled)).toBeNull();
  });

  it('needs a valid access token and a UUID id', async () => {
    const meetingId = await newMeeting();
    await expectError(await edge.fetch(`/api/v1/meetings/${meetingId}/join`, { method: 'POST' }), 401, 'unauthorized');
    await expectError(
      await edge.fetch(`/api/v1/meetings/${meetingId}/join`, { method: 'POST', headers: authHeaders('not-a-jwt') }),
      401,
      'unauthorized',
    );
    const bad = await join('not-a-uuid', host);
    const body = (await bad.clone().json()) as { error: { details: { path: string }[] } };
    await expectError(bad, 400, 'validation_failed');
    expect(body.error.details.map((d) => d.path)).toEqual(['param.id']);
  });
});

describe('POST /api/v1/meetings/{id}/join: through the meetings API', () => {
  it('create → invitee joins a scheduled meeting → start → host joins the same node → end → 409', async () => {
    const node = await registry.register(nodeId('api'));
    const post = (who: SignedInUser, path: string, body?: unknown) =>
      edge.fetch(path, { method: 'POST', headers: authHeaders(who.accessToken), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

    const created = await post(host, '/api/v1/meetings', {
      title: 'Join flow',
      startTime: new Date(Date.now() + 3_600_000).toISOString(),
      duration: 30,
      invitedUserIds: [attendee.user.id],
    });
    const meeting = (await created.json()) as { id: string; participants: { userId: string }[] };
    expect(created.status, JSON.stringify(meeting)).toBe(201);
    meetingIds.push(meeting.id);

    expect((await joinOk(meeting.id, attendee)).url).toBe(node.url);
    expect((await post(host, `/api/v1/meetings/${meeting.id}/start`)).status).toBe(200);
    const hostJoin = await joinOk(meeting.id, host);
    expect(hostJoin.url).toBe(node.url);
    expect((await verifier.verify(hostJoin.token)).video).toMatchObject({ room: meetingRoomName(meeting.id), roomAdmin: true });
    await expectError(await join(meeting.id, outsider), 404, 'not_found');

    expect(await stickyNode(meeting.id)).toBe(node.nodeId);
    expect((await post(host, `/api/v1/meetings/${meeting.id}/end`)).status).toBe(200);
    expect(await stickyNode(meeting.id)).toBeNull(); // ending releases the media node
    await expectError(await join(meeting.id, attendee), 409, 'meeting_ended');
  });
});

describe('OpenAPI', () => {
  it('documents join and AI task intake with every status they return', async () => {
    const doc = (await (await edge.fetch('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    };
    const joinOp = doc.paths['/api/v1/meetings/{id}/join']?.post;
    expect(Object.keys(joinOp?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '503']);
    const aiOp = doc.paths['/api/v1/ai/tasks']?.post;
    expect(Object.keys(aiOp?.responses ?? {}).sort()).toEqual(['202', '400', '401', '403', '404', '409', '413', '415', '429', '503']);
    expect(JSON.stringify(aiOp?.requestBody)).toContain('speech_activity');
  });
});

// Rooms across two media nodes sharing Redis: presence, chat, state, host actions, meeting end.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetings } from '@huddle/db';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, mediaNodeRegistryKeys, parseMediaNodeEntry, redisKeys } from '@huddle/protocol';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, eventually, JWT_SECRET, mintJoinToken, REDIS_URL, TestClient } from './signaling-helpers.ts';

const suite = createSuite();
const redis = new Redis(REDIS_URL);
let nodeA: MediaNodeServer;
let nodeB: MediaNodeServer;

beforeAll(async () => {
  nodeA = await suite.startNode();
  nodeB = await suite.startNode();
});
afterAll(async () => {
  await suite.teardown();
  redis.disconnect();
});

/** Host (and optionally a cohost) on node A, attendees on node B. */
async function twoNodeRoom(attendees = 1) {
  const m = await suite.seedMeeting(['host', ...Array.from({ length: attendees }, () => 'attendee' as const)]);
  const host = await TestClient.join(nodeA, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host', name: 'Hana' }));
  const others = [];
  for (const userId of m.userIds.slice(1)) {
    others.push(await TestClient.join(nodeB, await mintJoinToken({ userId, meetingId: m.meetingId, role: 'attendee' })));
  }
  return { ...m, host, others };
}

describe('one room on two nodes', () => {
  it('shares joins, chat, state and leaves across nodes', async () => {
    const { meetingId, userIds, host, others } = await twoNodeRoom();
    const attendee = others[0]!;
    // B's join saw the host on A; A was told about B's attendee.
    expect(attendee.joined.data.participants.map((p: any) => p.userId).sort()).toEqual([...userIds].sort());
    const hostEntry = attendee.joined.data.participants.find((p: any) => p.userId === userIds[0]);
    expect(hostEntry).toMatchObject({ name: 'Hana', role: 'host', nodeId: nodeA.config.nodeId });
    const joined = await host.client.waitFor((f) => f.method === 'participant.joined');
    expect(joined.data.participant).toMatchObject({ userId: userIds[1], nodeId: nodeB.config.nodeId });

    const sent = await attendee.client.request('chat.send', { text: '  hello from B  ', clientMsgId: 'm1' });
    expect(sent).toMatchObject({ ok: true, data: { duplicate: false, message: { text: 'hello from B', userId: userIds[1], meetingId } } });
    const got = await host.client.waitFor((f) => f.method === 'chat.message');
    expect(got.data.message).toEqual(sent.data.message);
    // The sender is not sent its own message a second time.
    expect(attendee.client.notifications('chat.message')).toHaveLength(0);

    const state = await host.client.request('media.setState', { audio: true, video: true });
    expect(state.data.participant.media).toEqual({ audio: true, video: true, screen: false });
    const updated = await attendee.client.waitFor((f) => f.method === 'participant.updated');
    expect(updated.data.participant).toMatchObject({ userId: userIds[0], media: { audio: true, video: true, screen: false } });
    await attendee.client.request('hand.raise');
    const hand = await host.client.waitFor((f) => f.method === 'participant.updated' && f.data.participant.handRaised);
    expect(hand.data.participant.userId).toBe(userIds[1]);

    // Roster in Redis holds both, each with its node.
    const roster = await redis.hgetall(redisKeys.meetingRoster(meetingId));
    expect(Object.keys(roster).sort()).toEqual([...userIds].sort());

    attendee.client.close();
    const left = await host.client.waitFor((f) => f.method === 'participant.left');
    expect(left.data).toEqual({ userId: userIds[1], reason: 'disconnected' });
    await eventually(async () => (await redis.hexists(redisKeys.meetingRoster(meetingId), userIds[1]!)) === 0);
    host.client.close();
    // The rooms close a moment after their last local peer leaves.
    await eventually(() => nodeA.media.room(meetingId) === undefined && nodeB.media.room(meetingId) === undefined);
  });

  it('does not duplicate a retried chat message and pages history', async () => {
    const { meetingId, host, others } = await twoNodeRoom();
    const attendee = others[0]!.client;
    const first = await attendee.request('chat.send', { text: 'once', clientMsgId: 'retry-1' });
    const retry = await attendee.request('chat.send', { text: 'once', clientMsgId: 'retry-1' });
    expect(retry.data).toEqual({ message: first.data.message, duplicate: true });
    await host.client.waitFor((f) => f.method === 'chat.message');
    const mongo = new MongoClient(suite.mongoUrl);
    try {
      expect(await mongo.db().collection('chat_messages').countDocuments({ meeting_id: meetingId, client_msg_id: 'retry-1' })).toBe(1);
    } finally {
      await mongo.close();
    }
    for (let i = 0; i < 4; i++) expect((await host.client.request('chat.send', { text: `m${i}`, clientMsgId: `h${i}` })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(host.client.notifications('chat.message')).toHaveLength(1); // the retry was not re-broadcast

    const page1 = await attendee.request('chat.history', { limit: 2 });
    expect(page1.data.messages.map((m: any) => m.text)).toEqual(['m3', 'm2']);
    const page2 = await attendee.request('chat.history', { limit: 2, before: page1.data.nextCursor });
    expect(page2.data.messages.map((m: any) => m.text)).toEqual(['m1', 'm0']);
    const page3 = await attendee.request('chat.history', { limit: 2, before: page2.data.nextCursor });
    expect(page3.data).toMatchObject({ messages: [{ text: 'once' }], nextCursor: null });

    host.client.close();
    attendee.close();
  });

  it('rate-limits chat per user (token bucket)', async () => {
    const strict = await suite.startNode({ chatRatePerSecond: 0.01, chatRateBurst: 3 });
    const m = await suite.seedMeeting(['host', 'attendee']);
    const a = await TestClient.join(strict, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
    const b = await TestClient.join(strict, await mintJoinToken({ userId: m.userIds[1]!, meetingId: m.meetingId, role: 'attendee' }));
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await a.client.request('chat.send', { text: `b${i}`, clientMsgId: `b${i}` }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]!.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/retry in \d+ ms/) });
    // Another user has a bucket of their own.
    expect((await b.client.request('chat.send', { text: 'mine', clientMsgId: 'x' })).ok).toBe(true);
    // Graceful close: room.closing, then 1001, and the registry entry is gone.
    const keys = mediaNodeRegistryKeys(suite.registryPrefix);
    expect(await redis.exists(keys.entry(strict.config.nodeId))).toBe(1);
    await strict.close();
    expect((await a.client.waitFor((f) => f.method === 'room.closing')).data).toEqual({ reason: 'node_shutdown' });
    expect(await a.client.closed).toEqual({ code: 1001, reason: 'media node shutting down' });
    expect((await b.client.closed).code).toBe(1001);
    expect(await redis.exists(keys.entry(strict.config.nodeId))).toBe(0);
    expect(await redis.sismember(keys.index, strict.config.nodeId)).toBe(0);
  });

  it('serves chat history over HTTP to a join token or an access JWT', async () => {
    const { meetingId, userIds, host, others } = await twoNodeRoom();
    await host.client.request('chat.send', { text: 'for the record', clientMsgId: 'r1' });
    const base = `http://127.0.0.1:${nodeB.port}/api/v1/meetings/${meetingId}/chat`;
    const get = (token?: string, query = '') =>
      fetch(`${base}${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

    expect((await get()).status).toBe(401);
    expect((await get('garbage')).status).toBe(401);
    const joinToken = await mintJoinToken({ userId: userIds[1]!, meetingId, role: 'attendee' });
    const ok = await get(joinToken, '?limit=10');
    expect(ok.status).toBe(200);
    expect((await ok.json()).messages.map((m: any) => m.text)).toEqual(['for the record']);
    expect((await get(joinToken, '?limit=1000')).status).toBe(400);

    const other = await suite.seedMeeting(['host']);
    const otherToken = await mintJoinToken({ userId: other.userIds[0]!, meetingId: other.meetingId, role: 'host' });
    expect((await get(otherToken)).status).toBe(403);

    const sid = `sess-${randomUUID()}`;
    const jwt = await new SignJWT({ sid, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userIds[0]!)
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await get(jwt)).status).toBe(401); // no session: revoked
    await redis.set(redisKeys.session(sid), 'x', 'EX', 60);
    try {
      const viaJwt = await get(jwt);
      expect(viaJwt.status).toBe(200);
      expect((await viaJwt.json()).messages).toHaveLength(1);
      // A participant of another meeting does not see this one.
      const strangerSid = `sess-${randomUUID()}`;
      await redis.set(redisKeys.session(strangerSid), 'x', 'EX', 60);
      const strangerJwt = await new SignJWT({ sid: strangerSid, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(other.userIds[0]!)
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET));
      expect((await get(strangerJwt)).status).toBe(404);
      await redis.del(redisKeys.session(strangerSid));
    } finally {
      await redis.del(redisKeys.session(sid));
    }
    host.client.close();
    others[0]!.client.close();
  });
});

describe('host actions', () => {
  it('refuses host-only actions to attendees', async () => {
    const { userIds, host, others } = await twoNodeRoom();
    const attendee = others[0]!.client;
    for (const [method, data] of [
      ['host.mute', { userId: userIds[0] }],
      ['host.remove', { userId: userIds[0] }],
      ['host.endForAll', undefined],
    ] as const) {
      expect(await attendee.request(method, data)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(host.client.notifications('participant.updated')).toHaveLength(0);
    expect(host.client.ws.readyState).toBe(1);
    expect((await host.client.request('host.mute', { userId: randomUUID() })).error.code).toBe('not_found');
    host.client.close();
    attendee.close();
  });

  it('tells everyone of a mute on the same node, the host who muted and the muted participant included', async () => {
    const m = await suite.seedMeeting(['host', 'attendee', 'attendee']);
    const [hostId, mutedId, otherId] = m.userIds as [string, string, string];
    const host = await TestClient.join(nodeA, await mintJoinToken({ userId: hostId, meetingId: m.meetingId, role: 'host' }));
    const muted = await TestClient.join(nodeA, await mintJoinToken({ userId: mutedId, meetingId: m.meetingId, role: 'attendee' }));
    const other = await TestClient.join(nodeA, await mintJoinToken({ userId: otherId, meetingId: m.meetingId, role: 'attendee' }));
    await muted.client.request('media.setState', { audio: true });
    expect((await host.client.request('host.mute', { userId: mutedId })).ok).toBe(true);
    for (const c of [host.client, muted.client, other.client]) {
      const seen = await c.waitFor((f) => f.method === 'participant.updated' && f.data.participant.userId === mutedId && !f.data.participant.media.audio);
      expect(seen.data.participant.media).toMatchObject({ audio: false });
    }
    for (const c of [host.client, muted.client, other.client]) c.close();
  });

  it('mutes and removes a participant on another node', async () => {
    const { userIds, host, others } = await twoNodeRoom(2);
    const [a1, a2] = others;
    await a1!.client.request('media.setState', { audio: true });
    expect((await host.client.request('host.mute', { userId: userIds[1] })).ok).toBe(true);
    const muted = await a1!.client.waitFor((f) => f.method === 'participant.updated' && f.data.participant.userId === userIds[1] && !f.data.participant.media.audio);
    expect(muted.data.participant.media.audio).toBe(false);

    expect((await host.client.request('host.remove', { userId: userIds[2] })).ok).toBe(true);
    expect(await a2!.client.closed).toEqual({ code: 1000, reason: 'removed by the host' });
    const left = await host.client.waitFor((f) => f.method === 'participant.left' && f.data.userId === userIds[2]);
    expect(left.data.reason).toBe('removed');
    host.client.close();
    a1!.client.close();
  });

  it('ends the meeting for everyone (host.endForAll)', async () => {
    const { meetingId, userIds, host, others } = await twoNodeRoom();
    const response = await host.client.request('host.endForAll');
    expect(response.ok).toBe(true);
    for (const c of [host.client, others[0]!.client]) {
      const ended = await c.waitFor((f) => f.method === 'meeting.ended');
      expect(ended.data).toMatchObject({ meetingId, endedBy: userIds[0] });
      expect((await c.closed).code).toBe(1000);
    }
    const [row] = await suite.db.db.select().from(meetings).where(eq(meetings.id, meetingId));
    expect(row!.status).toBe('ended');
    expect(await redis.exists(redisKeys.meetingRoster(meetingId))).toBe(0);
  });
});

describe('events from the meeting channel', () => {
  it('closes the room with a notice on meeting.ended from the edge', async () => {
    const { meetingId, userIds, host, others } = await twoNodeRoom();
    const endedAt = new Date().toISOString();
    await redis.publish(
      redisKeys.meetingEvents(meetingId),
      JSON.stringify({
        type: 'meeting.ended',
        meetingId,
        at: endedAt,
        data: { endedAt, endedBy: userIds[0], stats: { participantCount: 2, peakParticipants: 2, durationSeconds: 60, totalParticipantSeconds: 100 } },
      }),
    );
    for (const c of [host.client, others[0]!.client]) {
      expect((await c.waitFor((f) => f.method === 'meeting.ended')).data).toEqual({ meetingId, endedBy: userIds[0], endedAt });
      expect(await c.closed).toEqual({ code: 1000, reason: 'meeting ended' });
    }
    await eventually(() => nodeA.media.room(meetingId) === undefined && nodeB.media.room(meetingId) === undefined);
  });

  it('forwards ai.result events and ignores junk', async () => {
    const { meetingId, host, others } = await twoNodeRoom();
    const channel = redisKeys.meetingEvents(meetingId);
    await redis.publish(channel, 'not json');
    await redis.publish(channel, JSON.stringify({ type: 'room.relay', meetingId }));
    await redis.publish(channel, JSON.stringify({ type: 'ai.result', meetingId, analysisType: 'transcribe', results: { text: 'hi' } }));
    for (const c of [host.client, others[0]!.client]) {
      const r = await c.waitFor((f) => f.method === 'ai.result');
      expect(r.data).toEqual({ meetingId, analysisType: 'transcribe', results: { text: 'hi' } });
    }
    host.client.close();
    others[0]!.client.close();
  });
});

describe('one connection per user', () => {
  it('a newer connection of the same user replaces the older one, on any node', async () => {
    const m = await suite.seedMeeting(['host', 'attendee']);
    const hostToken = await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' });
    const watcher = (await TestClient.join(nodeA, await mintJoinToken({ userId: m.userIds[1]!, meetingId: m.meetingId, role: 'attendee' }))).client;
    const first = (await TestClient.join(nodeA, hostToken)).client;
    const second = (await TestClient.join(nodeA, hostToken)).client; // same node
    expect(await first.closed).toEqual({ code: 4009, reason: 'replaced by a newer connection' });
    const third = (await TestClient.join(nodeB, hostToken)).client; // another node
    expect((await second.closed).code).toBe(4009);
    // The watcher never saw the host leave, and the host is still in the roster.
    await new Promise((r) => setTimeout(r, 100));
    expect(watcher.notifications('participant.left')).toHaveLength(0);
    expect(await redis.hexists(redisKeys.meetingRoster(m.meetingId), m.userIds[0]!)).toBe(1);
    expect((await third.request('chat.send', { text: 'still here', clientMsgId: 'r' })).ok).toBe(true);
    await watcher.waitFor((f) => f.method === 'chat.message');
    third.close();
    watcher.close();
  });
});

describe('sticky assignment', () => {
  it('refreshes the TTL of the meeting\'s node assignment while the room is open here', async () => {
    const m = await suite.seedMeeting(['host']);
    const key = redisKeys.meetingNode(m.meetingId);
    await redis.set(key, nodeA.config.nodeId, 'EX', 30);
    const { client } = await TestClient.join(nodeA, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
    await eventually(async () => (await redis.ttl(key)) > 3_600);
    // Not refreshed when the assignment names another node.
    const m2 = await suite.seedMeeting(['host']);
    const key2 = redisKeys.meetingNode(m2.meetingId);
    await redis.set(key2, 'some-other-node', 'EX', 30);
    const other = (await TestClient.join(nodeA, await mintJoinToken({ userId: m2.userIds[0]!, meetingId: m2.meetingId, role: 'host' }))).client;
    await new Promise((r) => setTimeout(r, 100));
    expect(await redis.ttl(key2)).toBeLessThanOrEqual(30);
    client.close();
    other.close();
    await redis.del(key, key2);
  });
});

describe('registry', () => {
  it('registers both nodes with their load, as the edge reads it', async () => {
    const keys = mediaNodeRegistryKeys(suite.registryPrefix);
    expect((await redis.smembers(keys.index)).sort()).toEqual([nodeA.config.nodeId, nodeB.config.nodeId].sort());
    await nodeA.registry.heartbeat();
    const entry = parseMediaNodeEntry(await redis.get(keys.entry(nodeA.config.nodeId)));
    expect(entry).toMatchObject({ nodeId: nodeA.config.nodeId, backend: 'mediasoup', url: `ws://127.0.0.1:${nodeA.port}`, capacity: 5000 });
    expect(await redis.ttl(keys.entry(nodeA.config.nodeId))).toBeGreaterThan(0);
    // Connections and rooms are reported.
    const m = await suite.seedMeeting(['host']);
    const { client } = await TestClient.join(nodeA, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
    await nodeA.registry.heartbeat();
    const busy = parseMediaNodeEntry(await redis.get(keys.entry(nodeA.config.nodeId)));
    // Rooms of earlier tests may still be within their idle-close delay.
    expect(busy).toMatchObject({ connections: nodeA.media.connections, rooms: nodeA.media.rooms });
    expect(busy!.connections).toBeGreaterThanOrEqual(1);
    expect(busy!.rooms).toBeGreaterThanOrEqual(1);
    expect(busy?.draining).toBeUndefined();
    client.close();
  });

  it('marks a draining node so the edge places no new meetings on it', async () => {
    const node = await suite.startNode();
    const keys = mediaNodeRegistryKeys(suite.registryPrefix);
    await node.registry.drain();
    expect(parseMediaNodeEntry(await redis.get(keys.entry(node.config.nodeId)))?.draining).toBe(true);
    await node.close();
    expect(await redis.exists(keys.entry(node.config.nodeId))).toBe(0);
  });
});

// The lobby end to end: the edge in workerd takes knocks and serves tickets; two real
// media nodes carry the hosts' signaling (host on A, cohost and an attendee on B); the
// decision is made on one node and reaches the other node's host, the edge instance and
// the entrant through Redis only. Guests' rights, denial and removal blocks, locking,
// admit-all / deny-all, single-use tickets, and a knock flood at the hosts' sockets.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { meetings, users } from '@huddle/db';
import { startEdge, testSecrets, type EdgeUnderTest } from '../../edge/test/harness.ts';
import { TestRegistry } from '../../edge/test/join-fixtures.ts';
import { createLinkMeeting, linkClient, setSettings } from '../../edge/test/lobby-fixtures.ts';
import { callerFor } from '../../edge/test/meetings-fixtures.ts';
import { registerAndLogin, testClientIp, type SignedInUser } from '../../edge/test/users-helper.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, eventually, REDIS_URL, TestClient } from './signaling-helpers.ts';

const BLOCK_SECONDS = 3;
const suite = createSuite();
const redis = new Redis(REDIS_URL);
let edge: EdgeUnderTest;
let link: ReturnType<typeof linkClient>;
let registry: TestRegistry;
let nodeA: MediaNodeServer;
let nodeB: MediaNodeServer;
let host: SignedInUser;
let cohost: SignedInUser;
let attendee: SignedInUser;
let stranger: SignedInUser;
const meetingIds: string[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  const nodeConfig = {
    livekit: { apiKey: testSecrets.LIVEKIT_API_KEY, apiSecret: testSecrets.LIVEKIT_API_SECRET },
    jwtSecret: testSecrets.JWT_SECRET,
    lobby: { blockSeconds: BLOCK_SECONDS, sweepIntervalMs: 300 },
  };
  [nodeA, nodeB] = [await suite.startNode(nodeConfig), await suite.startNode(nodeConfig)];
  // The edge places meetings through its own registry entry naming node A (these nodes run
  // no SFU, which the edge's placement would refuse); node B is reached directly.
  registry = new TestRegistry(redis);
  await registry.register('lobby-a', { url: nodeA.config.publicUrl, sfuAvailable: true }, 600_000);
  edge = await startEdge({ vars: { MEDIA_NODE_REGISTRY_PREFIX: registry.prefix, LOBBY_BLOCK_SECONDS: String(BLOCK_SECONDS) } });
  link = linkClient(edge);
  [host, cohost, attendee, stranger] = await Promise.all([
    registerAndLogin(edge, { fullName: 'Hana Host' }),
    registerAndLogin(edge, { fullName: 'Cory Cohost' }),
    registerAndLogin(edge),
    registerAndLogin(edge, { fullName: 'Sam Stranger' }),
  ]);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await registry?.clear();
  if (meetingIds.length > 0) {
    const guests = await suite.db.sql<{ user_id: string }[]>`
      select user_id from meeting_participants where meeting_id = any(${meetingIds}::uuid[]) and role = 'guest'`;
    await suite.db.db.delete(meetings).where(inArray(meetings.id, meetingIds));
    if (guests.length > 0) await suite.db.db.delete(users).where(inArray(users.id, guests.map((g) => g.user_id)));
  }
  await edge?.close();
  await suite.teardown();
  redis.disconnect();
});

/** Connects and joins with a grant's token to `node` (default: the node the grant names). */
async function enterRoom(token: string, node: MediaNodeServer) {
  const joined = await TestClient.join(node, token);
  clients.push(joined.client);
  return joined;
}

async function grantOf(who: SignedInUser, meetingId: string): Promise<{ url: string; token: string }> {
  const reply = await callerFor(edge, who.accessToken)('POST', `/api/v1/meetings/${meetingId}/join`);
  if (reply.status !== 200) throw new Error(`join: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** A meeting with link settings; host on A, cohost and attendee on B, all joined. */
async function meetingWithHosts(settings: Record<string, unknown> = { entry: 'guests' }) {
  const m = await createLinkMeeting(edge, host, settings, [cohost.user.id, attendee.user.id]);
  meetingIds.push(m.id);
  await suite.db.sql`update meeting_participants set role = 'cohost' where meeting_id = ${m.id} and user_id = ${cohost.user.id}`;
  const hostRoom = await enterRoom((await grantOf(host, m.id)).token, nodeA);
  const cohostRoom = await enterRoom((await grantOf(cohost, m.id)).token, nodeB);
  const attendeeRoom = await enterRoom((await grantOf(attendee, m.id)).token, nodeB);
  return { ...m, host: hostRoom.client, cohost: cohostRoom.client, attendee: attendeeRoom.client };
}

const knocks = (client: TestClient) => client.notifications('lobby.knock');

describe('admission across two media nodes and the edge', () => {
  it('a guest knocks, both hosts hear it, the cohost on the other node admits, the guest enters as a guest', async () => {
    const m = await meetingWithHosts();
    const entry = await link.enter(m.code, { displayName: 'Gina Guest' });
    expect(entry.status).toBe(202);
    const { ticketId, guest } = entry.body;

    for (const moderator of [m.host, m.cohost]) {
      const knock = await moderator.waitFor((f) => f.method === 'lobby.knock');
      expect(knock.data).toEqual({
        entrant: { ticketId, kind: 'guest', userId: guest.userId, name: 'Gina Guest', knockedAt: expect.any(String) },
        waiting: 1,
      });
    }
    // Attendees hear nothing of the lobby and may not look at it.
    expect(knocks(m.attendee)).toHaveLength(0);
    expect((await m.attendee.request('lobby.list')).error.code).toBe('forbidden');
    expect((await m.attendee.request('lobby.admit', { ticketId })).error.code).toBe('forbidden');

    const listed = await m.cohost.request('lobby.list');
    expect(listed.data).toEqual({ entrants: [expect.objectContaining({ ticketId, kind: 'guest' })], waiting: 1 });

    // The guest waits on the edge while the cohost admits on node B.
    const waiting = link.poll(m.code, ticketId, { token: guest.token }, 10);
    await new Promise((r) => setTimeout(r, 300));
    const admitted = await m.cohost.request('lobby.admit', { ticketId });
    expect(admitted).toMatchObject({ ok: true, data: { ticketId, userId: guest.userId } });
    const outcome = await waiting;
    expect(outcome.status).toBe(200);
    expect(outcome.body).toMatchObject({ status: 'admitted', meetingId: m.id, grant: { url: nodeA.config.publicUrl } });
    for (const moderator of [m.host, m.cohost]) {
      const resolved = await moderator.waitFor((f) => f.method === 'lobby.resolved');
      expect(resolved.data).toEqual({ ticketId, outcome: 'admitted', byUserId: cohost.user.id, waiting: 0 });
    }
    // A second decision on a settled ticket finds nobody.
    expect((await m.host.request('lobby.deny', { ticketId })).error.code).toBe('not_found');

    // Postgres: a guest user (no login possible) and a guest participant.
    const [row] = await suite.db.sql`
      select u.status as user_status, u.full_name, p.role, p.status from users u
        join meeting_participants p on p.user_id = u.id and p.meeting_id = ${m.id} where u.id = ${guest.userId}`;
    expect(row).toEqual({ user_status: 'guest', full_name: 'Gina Guest', role: 'guest', status: 'accepted' });

    // Into the room with the grant: everyone sees a guest.
    const { client: guestClient, joined } = await enterRoom(outcome.body.grant.token, nodeA);
    expect(joined.data.self).toMatchObject({ userId: guest.userId, name: 'Gina Guest', role: 'guest' });
    const seen = await m.attendee.waitFor((f) => f.method === 'participant.joined' && f.data.participant.userId === guest.userId);
    expect(seen.data.participant.role).toBe('guest');

    // Tickets are single-use.
    const again = await link.poll(m.code, ticketId, { token: guest.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ticket_used');

    // A guest has no host rights and no lobby.
    for (const [method, data] of [
      ['host.mute', { userId: attendee.user.id }],
      ['host.remove', { userId: attendee.user.id }],
      ['host.endForAll', undefined],
      ['lobby.list', undefined],
      ['lobby.admitAll', undefined],
    ] as const) {
      expect((await guestClient.request(method, data)).error.code, method).toBe('forbidden');
    }
    // Its guest token renews the grant of its own meeting only.
    const renewed = await callerFor(edge, guest.token)('POST', `/api/v1/meetings/${m.id}/join`);
    expect(renewed.status).toBe(200);
    // History: its own meeting only (join token on the node's HTTP API).
    const own = await fetch(`http://127.0.0.1:${nodeA.port}/api/v1/meetings/${m.id}/chat`, {
      headers: { authorization: `Bearer ${outcome.body.grant.token}` },
    });
    expect(own.status).toBe(200);
    const other = await fetch(`http://127.0.0.1:${nodeA.port}/api/v1/meetings/${randomUUID()}/chat`, {
      headers: { authorization: `Bearer ${outcome.body.grant.token}` },
    });
    expect(other.status).toBe(403);
  });

  it('a signed-in user knocks with their verified username and becomes an attendee', async () => {
    const m = await meetingWithHosts({ entry: 'signed_in' });
    const entry = await link.enter(m.code, {}, { token: stranger.accessToken });
    const knock = await m.host.waitFor((f) => f.method === 'lobby.knock');
    expect(knock.data.entrant).toMatchObject({ kind: 'user', userId: stranger.user.id, name: 'Sam Stranger', username: stranger.user.username });
    expect((await m.host.request('lobby.admit', { ticketId: entry.body.ticketId })).ok).toBe(true);
    const outcome = await link.poll(m.code, entry.body.ticketId, { token: stranger.accessToken }, 5);
    expect(outcome.body.status).toBe('admitted');
    const { joined } = await enterRoom(outcome.body.grant.token, nodeB);
    expect(joined.data.self).toMatchObject({ userId: stranger.user.id, role: 'attendee' });
  });
});

describe('denial and removal keep people out for a while', () => {
  it('a denied guest learns why and may not knock again — not under its token, not from its address — until the block ends', async () => {
    const m = await meetingWithHosts();
    const ip = testClientIp();
    const entry = await link.enter(m.code, { displayName: 'Kim' }, { ip });
    await m.host.waitFor((f) => f.method === 'lobby.knock');
    const waiting = link.poll(m.code, entry.body.ticketId, { token: entry.body.guest.token, ip }, 10);
    await new Promise((r) => setTimeout(r, 200));
    expect((await m.host.request('lobby.deny', { ticketId: entry.body.ticketId, message: 'Not today' })).ok).toBe(true);
    expect((await waiting).body).toEqual({ status: 'denied', reason: 'host_denied', message: 'Not today' });
    const resolved = await m.cohost.waitFor((f) => f.method === 'lobby.resolved');
    expect(resolved.data).toMatchObject({ outcome: 'denied', byUserId: host.user.id });

    const sameGuest = await link.enter(m.code, {}, { token: entry.body.guest.token, ip: testClientIp() });
    expect(sameGuest.status).toBe(403);
    expect(sameGuest.body.error.code).toBe('entry_blocked');
    expect(sameGuest.body.error.details.retryAfterSeconds).toBeLessThanOrEqual(BLOCK_SECONDS);
    expect(Number(sameGuest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const sameAddress = await link.enter(m.code, { displayName: 'Kim again' }, { ip });
    expect(sameAddress.body.error.code).toBe('entry_blocked');
    // Somebody else, elsewhere, is not affected.
    expect((await link.enter(m.code, { displayName: 'Lee' })).status).toBe(202);
    // Nothing of the refused knocks reached the hosts.
    expect(knocks(m.host).map((k) => k.data.entrant.name)).toEqual(['Kim', 'Lee']);

    await new Promise((r) => setTimeout(r, BLOCK_SECONDS * 1000 + 200));
    expect((await link.enter(m.code, {}, { token: entry.body.guest.token, ip })).status).toBe(202);
  });

  it('a removed guest may not knock again for a while', async () => {
    const m = await meetingWithHosts();
    const ip = testClientIp();
    const entry = await link.enter(m.code, { displayName: 'Rex' }, { ip });
    await m.host.waitFor((f) => f.method === 'lobby.knock');
    await m.host.request('lobby.admit', { ticketId: entry.body.ticketId });
    const outcome = await link.poll(m.code, entry.body.ticketId, { token: entry.body.guest.token, ip }, 5);
    const { client: rex } = await enterRoom(outcome.body.grant.token, nodeA);
    expect((await m.cohost.request('host.remove', { userId: entry.body.guest.userId })).ok).toBe(true);
    expect((await rex.closed).code).toBe(1000);
    const back = await link.enter(m.code, {}, { token: entry.body.guest.token, ip: testClientIp() });
    expect(back.body.error?.code).toBe('entry_blocked');
    const sameAddress = await link.enter(m.code, { displayName: 'Not Rex' }, { ip });
    expect(sameAddress.body.error?.code).toBe('entry_blocked');
  });
});

describe('removed users', () => {
  it('come back only through the lobby, once the block ends, even where signed-in users need no lobby', async () => {
    const m = await meetingWithHosts({ entry: 'signed_in', lobby: false });
    const first = await link.enter(m.code, {}, { token: stranger.accessToken });
    expect(first.body.status).toBe('admitted');
    const { client } = await enterRoom(first.body.grant.token, nodeB);
    expect((await m.host.request('host.remove', { userId: stranger.user.id })).ok).toBe(true);
    await client.closed;
    const blocked = await link.enter(m.code, {}, { token: stranger.accessToken });
    expect(blocked.body.error.code).toBe('entry_blocked');
    expect((await callerFor(edge, stranger.accessToken)('POST', `/api/v1/meetings/${m.id}/join`)).status).toBe(403);

    await new Promise((r) => setTimeout(r, BLOCK_SECONDS * 1000 + 200));
    const knock = await link.enter(m.code, {}, { token: stranger.accessToken });
    expect(knock.status).toBe(202);
    await m.host.waitFor((f) => f.method === 'lobby.knock' && f.data.entrant.userId === stranger.user.id);
    expect((await m.host.request('lobby.admit', { ticketId: knock.body.ticketId })).ok).toBe(true);
    const outcome = await link.poll(m.code, knock.body.ticketId, { token: stranger.accessToken }, 5);
    expect(outcome.body.status).toBe('admitted');
    const [row] = await suite.db.sql`select status from meeting_participants where meeting_id = ${m.id} and user_id = ${stranger.user.id}`;
    expect(row!.status).toBe('accepted');
    // The new invitation voids the token from before the removal; the new grant works.
    const old = new TestClient(`ws://127.0.0.1:${nodeB.port}/ws?access_token=${encodeURIComponent(first.body.grant.token)}`);
    clients.push(old);
    expect((await old.closed).code).toBe(4003);
    const { joined } = await enterRoom(outcome.body.grant.token, nodeB);
    expect(joined.data.self.userId).toBe(stranger.user.id);
  });
});

describe('host controls', () => {
  it('a locked meeting admits nobody; admit-all and deny-all settle the oldest waiting entrants', async () => {
    const m = await meetingWithHosts();
    const entries = [];
    for (const name of ['One', 'Two', 'Three']) entries.push((await link.enter(m.code, { displayName: name })).body);
    await eventually(() => knocks(m.host).length === 3);
    await setSettings(edge, host, m.id, { entry: 'guests', locked: true });
    const refused = await m.host.request('lobby.admit', { ticketId: entries[0].ticketId });
    expect(refused.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('locked') });
    expect((await m.host.request('lobby.admitAll')).error.code).toBe('conflict');
    // Denying still works while locked.
    expect((await m.host.request('lobby.deny', { ticketId: entries[2].ticketId })).ok).toBe(true);
    await setSettings(edge, host, m.id, { entry: 'guests', locked: false });
    expect((await m.cohost.request('lobby.admitAll')).data).toEqual({ admitted: 2, remaining: 0 });
    for (const e of entries.slice(0, 2)) {
      expect((await link.poll(m.code, e.ticketId, { token: e.guest.token })).body.status).toBe('admitted');
    }
    for (const name of ['Four', 'Five']) await link.enter(m.code, { displayName: name });
    await eventually(() => knocks(m.host).length === 5);
    expect((await m.host.request('lobby.denyAll')).data).toEqual({ denied: 2, remaining: 0 });
    expect((await m.host.request('lobby.list')).data).toEqual({ entrants: [], waiting: 0 });
  });

  it('a lock stops entrants let in who have not taken their grant yet; participants already in keep their place', async () => {
    const m = await meetingWithHosts();
    const early = (await link.enter(m.code, { displayName: 'Early' })).body;
    const late = (await link.enter(m.code, { displayName: 'Raider' })).body;
    await eventually(() => knocks(m.host).length === 2);
    expect((await m.host.request('lobby.admitAll')).data).toEqual({ admitted: 2, remaining: 0 });
    expect((await link.poll(m.code, early.ticketId, { token: early.guest.token })).body.status).toBe('admitted');
    await setSettings(edge, host, m.id, { entry: 'guests', locked: true });
    const stopped = await link.poll(m.code, late.ticketId, { token: late.guest.token });
    expect(stopped.body).toEqual({ status: 'denied', reason: 'meeting_locked' });
    const rows = await suite.db.sql<{ user_id: string }[]>`
      select user_id from meeting_participants where meeting_id = ${m.id} and role = 'guest'`;
    expect(rows.map((r) => r.user_id)).toEqual([early.guest.userId]);
    // The one who got in can still join with the meeting id.
    const rejoin = await callerFor(edge, early.guest.token)('POST', `/api/v1/meetings/${m.id}/join`);
    expect(rejoin.status).toBe(200);
  });

  it('an entrant who gives up leaves the hosts’ list', async () => {
    const m = await meetingWithHosts();
    const entry = await link.enter(m.code, { displayName: 'Quitter' });
    await m.host.waitFor((f) => f.method === 'lobby.knock');
    await link.leave(m.code, entry.body.ticketId, { token: entry.body.guest.token });
    const resolved = await m.cohost.waitFor((f) => f.method === 'lobby.resolved');
    expect(resolved.data).toEqual({ ticketId: entry.body.ticketId, outcome: 'left', waiting: 0 });
    expect((await m.host.request('lobby.admit', { ticketId: entry.body.ticketId })).error.code).toBe('not_found');
  });
});

describe('a flood of knocks at the hosts’ sockets', () => {
  it('shows hosts 10 knocks, then only a counter', async () => {
    const m = await meetingWithHosts();
    for (let i = 0; i < 24; i++) expect((await link.enter(m.code, { displayName: `Raider ${i}` })).status).toBe(202);
    // The sweep (every 300 ms here) brings the final count even when the last one was throttled.
    const final = await m.host.waitFor((f) => f.method === 'lobby.count' && f.data.suppressed === 14, 5_000);
    expect(final.data).toEqual({ waiting: 24, suppressed: 14 });
    await new Promise((r) => setTimeout(r, 500));
    for (const moderator of [m.host, m.cohost]) {
      expect(knocks(moderator)).toHaveLength(10);
      // Throttled: far fewer counters than knocks.
      expect(moderator.notifications('lobby.count').length).toBeLessThan(14);
    }
    expect(m.attendee.frames.filter((f) => String(f.method).startsWith('lobby.'))).toHaveLength(0);
    const page = await m.host.request('lobby.list', { limit: 5 });
    expect(page.data.waiting).toBe(24);
    expect(page.data.entrants.map((e: { name: string }) => e.name)).toEqual(['Raider 0', 'Raider 1', 'Raider 2', 'Raider 3', 'Raider 4']);
  });
});

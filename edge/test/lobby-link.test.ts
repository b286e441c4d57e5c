// Link entry on the edge (workerd, real Postgres and Redis): entry settings, previews,
// the same 404 for every code the link does not open, malformed codes, guests' names and
// rights, locked meetings, tickets (reuse of a waiting ticket, another meeting's or
// caller's ticket, leaving, expiry), and the knock flood that reaches hosts only as a
// counter. Decisions by hosts (media nodes) are in media-node/test/lobby.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier } from 'livekit-server-sdk';
import type { Redis as TcpRedis } from 'ioredis';
import type { NodeDb } from '@huddle/db';
import { redisKeys } from '@huddle/protocol';
import { startEdge, testSecrets, type EdgeUnderTest } from './harness.ts';
import { openTestDb, openTestRedis, TestRegistry } from './join-fixtures.ts';
import { createLinkMeeting, linkClient, setSettings } from './lobby-fixtures.ts';
import { callerFor, collectMessages } from './meetings-fixtures.ts';
import { registerAndLogin, roomInWindow, testClientIp, type SignedInUser } from './users-helper.ts';

let edge: EdgeUnderTest;
let link: ReturnType<typeof linkClient>;
let pg: NodeDb;
let redis: TcpRedis;
let registry: TestRegistry;
let host: SignedInUser;
let invitee: SignedInUser;
let stranger: SignedInUser;
const meetingIds: string[] = [];

beforeAll(async () => {
  pg = openTestDb();
  redis = openTestRedis();
  registry = new TestRegistry(redis);
  edge = await startEdge({ vars: { MEDIA_NODE_REGISTRY_PREFIX: registry.prefix } });
  link = linkClient(edge);
  [host, invitee, stranger] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge), registerAndLogin(edge)]);
  await registry.register('lobby-node-1');
});
afterAll(async () => {
  await registry?.clear();
  if (meetingIds.length > 0) {
    await pg.sql`delete from users where id in (
      select user_id from meeting_participants where meeting_id = any(${meetingIds}::uuid[]) and role = 'guest')`;
    await pg.sql`delete from meetings where id = any(${meetingIds}::uuid[])`;
  }
  await edge?.close();
  await pg?.close();
  redis?.disconnect();
});

async function meeting(settings: Record<string, unknown>, invited: string[] = []) {
  const m = await createLinkMeeting(edge, host, settings, invited);
  meetingIds.push(m.id);
  return m;
}

/** A code that no meeting has (the code space is 26^10; a random one is free). */
const unusedCode = () => {
  const letters = Array.from({ length: 10 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7)}`;
};

const verifier = new TokenVerifier(testSecrets.LIVEKIT_API_KEY, testSecrets.LIVEKIT_API_SECRET);

describe('settings', () => {
  it('validates the typed keys, keeps free-form ones, and lets only the host change them', async () => {
    const m = await meeting({ entry: 'guests', lobby: true, theme: 'dark' }, [invitee.user.id]);
    const asHost = callerFor(edge, host.accessToken);
    const bad = await asHost('PATCH', `/api/v1/meetings/${m.id}`, { settings: { entry: 'everyone', lobby: 'yes', locked: 1 } });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['body.settings.entry', 'body.settings.lobby', 'body.settings.locked']);
    const asInvitee = callerFor(edge, invitee.accessToken);
    expect((await asInvitee('PATCH', `/api/v1/meetings/${m.id}`, { settings: { entry: 'guests', locked: false } })).status).toBe(403);
    const read = await asHost('GET', `/api/v1/meetings/${m.id}`);
    expect(read.body.settings).toEqual({ entry: 'guests', lobby: true, theme: 'dark' });
    const created = await asHost('POST', '/api/v1/meetings', {
      title: 'x',
      startTime: new Date(Date.now() + 60_000).toISOString(),
      duration: 5,
      settings: { entry: 'anyone' },
    });
    expect(created.status).toBe(400);
  });
});

describe('GET /meetings/by-code/{code}', () => {
  it('answers 400 for malformed codes', async () => {
    for (const code of ['abc', 'abc-defg-hi', 'abc-defg-hij-', 'abc_defg_hij', 'abc-d3fg-hij', 'ábc-defg-hij', `${'a'.repeat(40)}`]) {
      const reply = await link.preview(code);
      expect(reply.status, code).toBe(400);
      expect(reply.body.error.code).toBe('validation_failed');
    }
  });

  it('answers the same 404 for unknown codes, invited-only, ended and cancelled meetings', async () => {
    const invitedOnly = await meeting({});
    const ended = await meeting({ entry: 'guests' });
    await pg.sql`update meetings set status = 'cancelled' where id = ${ended.id}`;
    const replies = [
      await link.preview(unusedCode()),
      await link.preview(invitedOnly.code),
      await link.preview(invitedOnly.code, { token: stranger.accessToken }),
      await link.preview(ended.code),
      await link.enter(invitedOnly.code, { displayName: 'Eve' }),
      await link.enter(unusedCode(), { displayName: 'Eve' }),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(replies[0]!.body);
    }
  });

  it('shows a link holder the title, host, start and whether a lobby applies — no ids, no participants', async () => {
    const m = await meeting({ entry: 'guests' }, [invitee.user.id]);
    const anonymous = await link.preview(m.code.toUpperCase());
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({
      code: m.code,
      title: expect.any(String),
      hostName: host.user.fullName,
      startTime: expect.any(String),
      status: 'scheduled',
      entry: 'guests',
      locked: false,
      lobby: true,
      signInRequired: false,
      participant: false,
    });
    expect(JSON.stringify(anonymous.body)).not.toContain(m.id);
    expect(JSON.stringify(anonymous.body)).not.toContain(invitee.user.id);
    const asInvitee = await link.preview(m.code, { token: invitee.accessToken });
    expect(asInvitee.body).toMatchObject({ participant: true, lobby: false });
    const signedInOnly = await meeting({ entry: 'signed_in', lobby: false });
    expect((await link.preview(signedInOnly.code)).body).toMatchObject({ signInRequired: true });
    expect((await link.preview(signedInOnly.code, { token: stranger.accessToken })).body).toMatchObject({
      signInRequired: false,
      lobby: false,
    });
    expect((await link.preview(m.code, { token: 'not-a-token' })).status).toBe(401);
  });
});

describe('POST /meetings/by-code/{code}/entry under each setting', () => {
  it('invited: only participants, who get their join grant', async () => {
    const m = await meeting({}, [invitee.user.id]);
    expect((await link.enter(m.code, {}, { token: stranger.accessToken })).status).toBe(404);
    const entered = await link.enter(m.code, {}, { token: invitee.accessToken });
    expect(entered.status).toBe(200);
    expect(entered.body).toMatchObject({ status: 'admitted', meetingId: m.id, grant: { url: expect.any(String), token: expect.any(String) } });
    const claims = await verifier.verify(entered.body.grant.token);
    expect(claims.sub).toBe(invitee.user.id);
    expect(claims.attributes?.role).toBe('attendee');
  });

  it('signed_in without lobby: signed-in users become attendees at once; anonymous callers must sign in', async () => {
    const m = await meeting({ entry: 'signed_in', lobby: false });
    const anonymous = await link.enter(m.code, { displayName: 'Anon' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('sign_in_required');
    const entered = await link.enter(m.code, {}, { token: stranger.accessToken });
    expect(entered.status).toBe(200);
    expect(entered.body.status).toBe('admitted');
    const [row] = await pg.sql`select role, status from meeting_participants where meeting_id = ${m.id} and user_id = ${stranger.user.id}`;
    expect(row).toEqual({ role: 'attendee', status: 'accepted' });
    // Now a participant: /join works and the meeting shows them.
    const joined = await callerFor(edge, stranger.accessToken)('POST', `/api/v1/meetings/${m.id}/join`);
    expect(joined.status).toBe(200);
  });

  it('signed_in with lobby: a ticket, the same one when knocking twice; the knock reaches the meeting channel', async () => {
    const m = await meeting({ entry: 'signed_in' });
    const channel = await collectMessages([redisKeys.meetingEvents(m.id)]);
    try {
      const first = await link.enter(m.code, {}, { token: stranger.accessToken });
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ status: 'waiting', ticketId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), expiresAt: expect.any(String) });
      const again = await link.enter(m.code, {}, { token: stranger.accessToken });
      expect(again.body.ticketId).toBe(first.body.ticketId);
      await channel.waitFor((ms) => ms.length >= 1);
      expect(channel.messages[0]!.payload).toMatchObject({
        type: 'lobby.event',
        meetingId: m.id,
        notification: {
          method: 'lobby.knock',
          data: { entrant: { ticketId: first.body.ticketId, kind: 'user', userId: stranger.user.id, username: stranger.user.username }, waiting: 1 },
        },
      });
      const waiting = await link.poll(m.code, first.body.ticketId, { token: stranger.accessToken });
      expect(waiting.body).toEqual({ status: 'waiting', expiresAt: first.body.expiresAt });
    } finally {
      await channel.close();
    }
  });

  it('guests: a display name is required and checked; the guest gets credentials and a ticket', async () => {
    const m = await meeting({ entry: 'guests', lobby: false });
    for (const displayName of [undefined, '', '   ', '\u200b\u200b', 'a\u0000b', 'x'.repeat(65), 'Bob\u202eevil', 'line\nbreak', 42]) {
      const reply = await link.enter(m.code, displayName === undefined ? {} : { displayName });
      expect(reply.status, JSON.stringify(displayName)).toBe(400);
    }
    const entered = await link.enter(m.code, { displayName: '  Ada 🚀 ' });
    // Guests always wait, even where signed-in users would not.
    expect(entered.status).toBe(202);
    expect(entered.body).toMatchObject({
      status: 'waiting',
      guest: { token: expect.any(String), userId: expect.any(String), name: 'Ada 🚀', expiresAt: expect.any(String) },
    });
    // Nothing is written to Postgres before a host lets the guest in.
    const [row] = await pg.sql`select count(*)::int as n from users where id = ${entered.body.guest.userId}`;
    expect(row!.n).toBe(0);
  });

  it('locked: no new entries, the preview says so; unlocking opens the link again', async () => {
    const m = await meeting({ entry: 'guests', locked: true }, [invitee.user.id]);
    expect((await link.preview(m.code)).body).toMatchObject({ locked: true, lobby: true });
    const refused = await link.enter(m.code, { displayName: 'Late' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('meeting_locked');
    expect((await link.enter(m.code, {}, { token: stranger.accessToken })).body.error.code).toBe('meeting_locked');
    // Invited participants keep their access.
    expect((await link.enter(m.code, {}, { token: invitee.accessToken })).status).toBe(200);
    await setSettings(edge, host, m.id, { entry: 'guests', locked: false });
    expect((await link.enter(m.code, { displayName: 'Late' })).status).toBe(202);
  });
});

describe('guests reach nothing but their own meeting', () => {
  it('refuses a guest token on the REST API and on other meetings', async () => {
    const own = await meeting({ entry: 'guests' });
    const other = await meeting({ entry: 'guests' }, [invitee.user.id]);
    const { body } = await link.enter(own.code, { displayName: 'Mallory' });
    const guest = callerFor(edge, body.guest.token);
    expect((await guest('GET', '/api/v1/users/me')).status).toBe(401);
    expect((await guest('GET', '/api/v1/meetings')).status).toBe(401);
    expect((await guest('GET', `/api/v1/meetings/${own.id}`)).status).toBe(401);
    expect((await guest('PATCH', `/api/v1/meetings/${own.id}`, { settings: { locked: true } })).status).toBe(401);
    expect((await guest('POST', `/api/v1/meetings/${own.id}/end`)).status).toBe(401);
    expect((await guest('POST', '/api/v1/ai/tasks', { type: 'sentiment', meetingId: own.id, payload: { text: 'hi' } })).status).toBe(401);
    expect((await guest('POST', '/api/v1/auth/logout')).status).toBe(401);
    // Not let in yet: its own meeting's join is 404 like any meeting one is not in; other meetings too.
    expect((await guest('POST', `/api/v1/meetings/${own.id}/join`)).status).toBe(404);
    expect((await guest('POST', `/api/v1/meetings/${other.id}/join`)).status).toBe(404);
    // On another meeting's link the guest token is nobody: a new guest identity, never this one.
    const elsewhere = await link.enter(other.code, { displayName: 'Mallory' }, { token: body.guest.token });
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.guest.userId).not.toBe(body.guest.userId);
    // Its ticket cannot be polled under the other meeting's code.
    expect((await link.poll(other.code, body.ticketId, { token: body.guest.token })).status).toBe(404);
    // A forged guest token (wrong key) is 401, not anonymous.
    const forged = `${body.guest.token.slice(0, -4)}AAAA`;
    expect((await link.preview(own.code, { token: forged })).status).toBe(401);
  });
});

describe('tickets', () => {
  it('is bound to its meeting and its holder; leaving closes it', async () => {
    const m = await meeting({ entry: 'guests' });
    const other = await meeting({ entry: 'guests' });
    const a = await link.enter(m.code, { displayName: 'A' });
    const b = await link.enter(m.code, { displayName: 'B' });
    const asA = { token: a.body.guest.token };
    expect((await link.poll(other.code, a.body.ticketId, asA)).status).toBe(404);
    expect((await link.poll(m.code, b.body.ticketId, asA)).status).toBe(404);
    expect((await link.poll(m.code, a.body.ticketId, {})).status).toBe(401);
    expect((await link.poll(m.code, 'not-a-ticket', asA)).status).toBe(400);
    expect((await link.poll(m.code, 'A'.repeat(22), asA)).status).toBe(404);
    expect((await link.poll(m.code, a.body.ticketId, asA, 99)).status).toBe(400);
    const waited = Date.now();
    expect((await link.poll(m.code, a.body.ticketId, asA, 1)).body.status).toBe('waiting');
    expect(Date.now() - waited).toBeGreaterThanOrEqual(900);
    const channel = await collectMessages([redisKeys.meetingEvents(m.id)]);
    try {
      expect((await link.leave(m.code, a.body.ticketId, asA)).status).toBe(204);
      await channel.waitFor((ms) => ms.some((msg: any) => msg.payload.notification.method === 'lobby.resolved'));
      expect((channel.messages.at(-1)!.payload as any).notification.data).toEqual({ ticketId: a.body.ticketId, outcome: 'left', waiting: 1 });
    } finally {
      await channel.close();
    }
    const closed = await link.poll(m.code, a.body.ticketId, asA);
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('ticket_closed');
    expect(await redis.zrange(redisKeys.lobbyWaiting(m.id), '0', '-1')).toEqual([b.body.ticketId]);
  });

  it('tells a waiting entrant when the meeting ends', async () => {
    const m = await meeting({ entry: 'guests' });
    const a = await link.enter(m.code, { displayName: 'A' });
    await pg.sql`update meetings set status = 'ended', started_at = now(), ended_at = now() where id = ${m.id}`;
    const reply = await link.poll(m.code, a.body.ticketId, { token: a.body.guest.token });
    expect(reply.body).toEqual({ status: 'denied', reason: 'meeting_ended' });
  });
});

describe('a flood of knocks', () => {
  it('reaches the meeting channel as at most 10 knocks and then counters, never more', async () => {
    const m = await meeting({ entry: 'guests' });
    const channel = await collectMessages([redisKeys.meetingEvents(m.id)]);
    try {
      const replies = [];
      for (let i = 0; i < 25; i++) replies.push(await link.enter(m.code, { displayName: `Raider ${i}` }));
      expect(replies.every((r) => r.status === 202)).toBe(true);
      await channel.waitFor((ms) => ms.length >= 11);
      await new Promise((r) => setTimeout(r, 300));
      const methods = channel.messages.map((msg: any) => msg.payload.notification.method);
      expect(methods.filter((x) => x === 'lobby.knock')).toHaveLength(10);
      const counts = channel.messages.filter((msg: any) => msg.payload.notification.method === 'lobby.count');
      expect(counts.length).toBeGreaterThanOrEqual(1);
      // Throttled: at most one counter per second (the 15 extra knocks took far less than 15 s).
      expect(counts.length).toBeLessThan(15);
      expect((counts[0]!.payload as any).notification.data).toMatchObject({ suppressed: 1, waiting: 11 });
      expect(await redis.zcard(redisKeys.lobbyWaiting(m.id))).toBe(25);
    } finally {
      await channel.close();
    }
  });

  it('caps one code at LINK_KNOCKS_PER_CODE_PER_MINUTE knocks from all addresses together', async () => {
    // 60 per minute by default: the flood above stayed under it; here the cap itself.
    const m = await meeting({ entry: 'guests' });
    // The 62 knocks in one window of the sliding limit (straddling two, the first ones weigh less).
    await roomInWindow(60, 30_000);
    let refused = 0;
    for (let i = 0; i < 62; i++) {
      const reply = await link.enter(m.code, { displayName: `R${i}` }, { ip: testClientIp() });
      if (reply.status === 429) refused += 1;
      else expect(reply.status).toBe(202);
    }
    expect(refused).toBe(2);
  }, 90_000);
});

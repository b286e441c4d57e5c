// Link entry's limits on the edge (workerd, real Redis): guessing codes runs into the
// miss budget (and then learns nothing, not even about real codes), requests per address
// are capped, tickets expire after the longest wait, entrants who stop polling leave the
// lobby, and a full lobby refuses knocks. Short windows through the edge's variables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis as TcpRedis } from 'ioredis';
import type { NodeDb } from '@huddle/db';
import { redisKeys } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { openTestDb, openTestRedis, randomMeetingCode, sleep } from './join-fixtures.ts';
import { createLinkMeeting, linkClient } from './lobby-fixtures.ts';
import { collectMessages } from './meetings-fixtures.ts';
import { registerAndLogin, roomInWindow, testClientIp, type SignedInUser } from './users-helper.ts';

const WAIT_SECONDS = 5;
const PRESENCE_SECONDS = 4;
let edge: EdgeUnderTest;
let link: ReturnType<typeof linkClient>;
let pg: NodeDb;
let redis: TcpRedis;
let host: SignedInUser;
const meetingIds: string[] = [];

beforeAll(async () => {
  pg = openTestDb();
  redis = openTestRedis();
  edge = await startEdge({
    vars: { LOBBY_WAIT_SECONDS: String(WAIT_SECONDS), LOBBY_PRESENCE_SECONDS: String(PRESENCE_SECONDS), LOBBY_WAITING_MAX: '3' },
  });
  link = linkClient(edge);
  host = await registerAndLogin(edge);
});
afterAll(async () => {
  if (meetingIds.length > 0) await pg.sql`delete from meetings where id = any(${meetingIds}::uuid[])`;
  await edge?.close();
  await pg?.close();
  redis?.disconnect();
});

/**
 * A client address and the sum of its miss-budget counters in Redis (the edge counts an
 * IPv6 address by its /64, written without leading zeros; both groups here have none).
 */
function addressWithMisses(): { ip: string; misses: () => Promise<number> } {
  const group = () => (0x1000 + Math.floor(Math.random() * 0xefff)).toString(16);
  const prefix = `2001:db8:${group()}:${group()}`;
  return {
    ip: `${prefix}::1`,
    misses: async () => {
      let sum = 0;
      for (const key of await redis.keys(`ratelimit:link:miss:ip:${prefix}::/64:*`)) sum += Number((await redis.get(key)) ?? 0);
      return sum;
    },
  };
}

async function meeting(settings: Record<string, unknown>) {
  const m = await createLinkMeeting(edge, host, settings);
  meetingIds.push(m.id);
  return m;
}

describe('guessing codes', () => {
  it('gives one address 20 misses an hour, then answers 429 for every code — real ones too', async () => {
    const real = await meeting({ entry: 'guests' });
    const invitedOnly = await meeting({});
    const ip = testClientIp();
    const statuses: number[] = [];
    await roomInWindow(3_600, 30_000); // the guesses in one window of the hourly miss budget
    // A bounded loop: 24 guesses, the 20 allowed misses among them (an invited-only code is a miss too).
    statuses.push((await link.preview(invitedOnly.code, { ip })).status);
    for (let i = 0; i < 23; i++) statuses.push((await link.preview(randomMeetingCode(), { ip })).status);
    expect(statuses.slice(0, 20).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    const refused = await link.preview(real.code, { ip });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(60);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    expect((await link.enter(real.code, { displayName: 'Guesser' }, { ip })).status).toBe(429);
    // Another address is not affected.
    expect((await link.preview(real.code, { ip: testClientIp() })).status).toBe(200);
  }, 90_000);

  it('caps one address at 30 link requests a minute, hits included', async () => {
    const real = await meeting({ entry: 'guests' });
    const ip = testClientIp();
    const statuses: number[] = [];
    await roomInWindow(60, 30_000); // the requests in one window of the per-minute limit
    for (let i = 0; i < 32; i++) statuses.push((await link.preview(real.code, { ip })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.slice(30)).toEqual([429, 429]);
  }, 90_000);

  it('does not spend the miss budget on requests refused for being too many (a crowd behind one address)', async () => {
    const real = await meeting({ entry: 'guests' });
    const { ip, misses } = addressWithMisses();
    const statuses: number[] = [];
    await roomInWindow(60, 30_000); // the requests in one window of the per-minute limit
    // 30 hits, then 25 refused by the per-address minute limit: more than the 20 misses an hour.
    for (let i = 0; i < 55; i++) statuses.push((await link.preview(real.code, { ip })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    // The miss budget is untouched: its counters in Redis sum to nothing (and they exist).
    expect(await redis.keys('ratelimit:link:miss:ip:*')).not.toHaveLength(0);
    expect(await misses()).toBe(0);
    expect((await link.preview(randomMeetingCode(), { ip })).status).toBe(429); // still within the minute
    expect(await misses()).toBe(0);
  }, 90_000);

  it('answers ticket polls on any code without the caller\'s ticket with the one link 404, and counts them as misses', async () => {
    const invitedOnly = await meeting({});
    const guestsWelcome = await meeting({ entry: 'guests' });
    const stranger = await registerAndLogin(edge);
    const { ip, misses } = addressWithMisses();
    const as = { token: stranger.accessToken, ip };
    const unknown = await link.poll(randomMeetingCode(), 'AAAAAAAAAAAAAAAAAAAAAA', as);
    const hidden = await link.poll(invitedOnly.code, 'AAAAAAAAAAAAAAAAAAAAAA', as);
    const open = await link.poll(guestsWelcome.code, 'AAAAAAAAAAAAAAAAAAAAAA', as);
    const left = await link.leave(invitedOnly.code, 'AAAAAAAAAAAAAAAAAAAAAA', as);
    for (const reply of [unknown, hidden, open, left]) {
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual(unknown.body);
    }
    expect(await misses()).toBe(4);
  });
});

describe('tickets in time', () => {
  it('expires a ticket after the longest wait, even while its entrant polls', async () => {
    const m = await meeting({ entry: 'guests' });
    const channel = await collectMessages([redisKeys.meetingEvents(m.id)]);
    try {
      const entry = await link.enter(m.code, { displayName: 'Patient' });
      const as = { token: entry.body.guest.token };
      const deadline = Date.parse(entry.body.expiresAt);
      let last = await link.poll(m.code, entry.body.ticketId, as, 1);
      while (last.status === 200 && Date.now() < deadline + 1_500) {
        expect(last.body.status).toBe('waiting');
        last = await link.poll(m.code, entry.body.ticketId, as, 1);
      }
      expect(last.status).toBe(409);
      expect(last.body.error.code).toBe('ticket_expired');
      expect(Date.now()).toBeGreaterThanOrEqual(deadline - 1_000);
      await channel.waitFor((ms) => ms.some((msg: any) => msg.payload.notification.method === 'lobby.resolved'));
      const again = await link.poll(m.code, entry.body.ticketId, as);
      expect(again.body.error.code).toBe('ticket_closed');
      expect(await redis.hget(redisKeys.lobbyTicket(m.id, entry.body.ticketId), 'status')).toBe('left');
    } finally {
      await channel.close();
    }
  });

  it('lets an entrant who stops polling leave the lobby after the presence period', async () => {
    const m = await meeting({ entry: 'guests' });
    const gone = await link.enter(m.code, { displayName: 'Gone' });
    const ttl = await redis.pttl(redisKeys.lobbyTicket(m.id, gone.body.ticketId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PRESENCE_SECONDS * 1000);
    const channel = await collectMessages([redisKeys.meetingEvents(m.id)]);
    try {
      await sleep(PRESENCE_SECONDS * 1000 + 300);
      expect(await redis.exists(redisKeys.lobbyTicket(m.id, gone.body.ticketId))).toBe(0);
      // The next knock clears it out of the waiting set and tells the hosts.
      await link.enter(m.code, { displayName: 'Next' });
      await channel.waitFor((ms) => ms.some((msg: any) => msg.payload.notification.method === 'lobby.resolved'));
      const left = channel.messages.find((msg: any) => msg.payload.notification.method === 'lobby.resolved')!;
      expect((left.payload as any).notification.data).toEqual({ ticketId: gone.body.ticketId, outcome: 'left', waiting: 1 });
      expect((await link.poll(m.code, gone.body.ticketId, { token: gone.body.guest.token })).status).toBe(404);
    } finally {
      await channel.close();
    }
  });

  it('refuses knocks on a full lobby until someone leaves', async () => {
    const m = await meeting({ entry: 'guests' });
    const entries = [];
    for (let i = 0; i < 3; i++) entries.push((await link.enter(m.code, { displayName: `W${i}` })).body);
    const full = await link.enter(m.code, { displayName: 'Fourth' });
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe('lobby_full');
    expect(full.headers.get('retry-after')).toBe('30');
    expect((await link.leave(m.code, entries[0].ticketId, { token: entries[0].guest.token })).status).toBe(204);
    expect((await link.enter(m.code, { displayName: 'Fourth' })).status).toBe(202);
  });
});

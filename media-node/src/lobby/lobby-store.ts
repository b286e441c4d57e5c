import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import type { Database, MeetingStatus } from '@huddle/db';
import {
  LOBBY_LUA_NOW,
  LOBBY_LUA_SETTLE,
  LOBBY_TIMING,
  lobbyBlockSubject,
  lobbyEntrantOf,
  parseLobbyTicket,
  redisKeys,
  resolveMeetingSettings,
  type LobbyEntrant,
  type ResolvedMeetingSettings,
} from '@huddle/protocol';

// The media node's side of the lobby (protocol/src/lobby.ts): hosts list, admit and
// deny. The edge writes tickets and keeps waiting entrants present; a node decides.
// Decisions are Lua scripts on Redis's clock (TIME), atomic with the status check, so
// two hosts on two nodes deciding one knock at the same moment settle it once.

const NOW = LOBBY_LUA_NOW;

// KEYS: waiting. Drops ids whose presence deadline (the score) passed; returns them.
const PRUNE_SCRIPT = `${NOW}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
if #gone > 0 then redis.call('ZREM', KEYS[1], unpack(gone)) end
return gone
`;

// KEYS: ticket, waiting, subject, user block, address block.
// ARGV: ticket id, 'admit' | 'deny', decided by, hold ms, message ('' for none).
const DECIDE_SCRIPT = `${NOW}
local fields = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'blockSeconds')
if not fields[1] then return {'gone', redis.call('ZCARD', KEYS[2])} end
if fields[1] ~= 'waiting' then return {fields[1], redis.call('ZCARD', KEYS[2])} end
local hold = tonumber(ARGV[4])
if now >= tonumber(fields[2]) then
  redis.call('HSET', KEYS[1], 'status', 'left')
  ${LOBBY_LUA_SETTLE}
  return {'expired', redis.call('ZCARD', KEYS[2])}
end
if ARGV[2] == 'admit' then
  redis.call('HSET', KEYS[1], 'status', 'admitted', 'decidedBy', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'status', 'denied', 'decidedBy', ARGV[3], 'reason', 'host_denied')
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'message', ARGV[5]) end
  local block = math.max(1, tonumber(fields[3]) or 0) * 1000
  redis.call('SET', KEYS[4], '1', 'PX', block)
  if KEYS[5] ~= KEYS[4] then redis.call('SET', KEYS[5], '1', 'PX', block) end
end
${LOBBY_LUA_SETTLE}
return {'ok', redis.call('ZCARD', KEYS[2])}
`;

/** Most waiting tickets one listing reads (it sorts them by knock time). */
const LIST_SCAN_MAX = 1_000;

/** The waiting entrants of a meeting, oldest knock first. */
export interface LobbyListing {
  entrants: LobbyEntrant[];
  /** Entrants waiting now (all of them, not only this page). */
  waiting: number;
}

/**
 * Drops entrants who stopped waiting (their presence deadline passed) and returns their
 * ticket ids: the caller that removed them announces it (`lobby.resolved`, `left`).
 */
export async function pruneGone(redis: Redis, meetingId: string): Promise<string[]> {
  return (await redis.eval(PRUNE_SCRIPT, 1, redisKeys.lobbyWaiting(meetingId))) as string[];
}

/** The waiting entrants, oldest knock first, at most `limit` of them. */
export async function listWaiting(redis: Redis, meetingId: string, limit: number): Promise<LobbyListing> {
  const ids = await redis.zrange(redisKeys.lobbyWaiting(meetingId), '0', String(LIST_SCAN_MAX - 1));
  if (ids.length === 0) return { entrants: [], waiting: 0 };
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(redisKeys.lobbyTicket(meetingId, id));
  const replies = (await pipeline.exec()) ?? [];
  const entrants: LobbyEntrant[] = [];
  ids.forEach((id, i) => {
    const [error, hash] = replies[i] ?? [new Error('no reply'), null];
    const record = error ? undefined : parseLobbyTicket(hash as Record<string, string>);
    if (record?.status === 'waiting') entrants.push(lobbyEntrantOf(id, record));
  });
  entrants.sort((a, b) => a.knockedAt.localeCompare(b.knockedAt));
  return { entrants: entrants.slice(0, limit), waiting: entrants.length };
}

/** Outcome of a decision: `ok`, or why not (`gone`, `expired`, or the status it already had); `waiting` after it. */
export interface Decision {
  status: 'ok' | 'gone' | 'expired' | 'admitted' | 'denied' | 'used' | 'left';
  /** The entrant's user id, when the ticket was still there. */
  userId?: string;
  waiting: number;
}

/**
 * Admits or denies a waiting entrant, once. A denial stores the reason (and the host's
 * message), and blocks the entrant — a guest's address too — from knocking for the
 * ticket's blockSeconds.
 */
export async function decide(
  redis: Redis,
  meetingId: string,
  ticketId: string,
  decision: { verdict: 'admit' | 'deny'; byUserId: string; message?: string | undefined },
): Promise<Decision> {
  const ticketKey = redisKeys.lobbyTicket(meetingId, ticketId);
  const record = parseLobbyTicket(await redis.hgetall(ticketKey));
  if (!record) return { status: 'gone', waiting: await redis.zcard(redisKeys.lobbyWaiting(meetingId)) };
  const userBlock = redisKeys.lobbyBlock(meetingId, lobbyBlockSubject.user(record.userId));
  const addressBlock = record.kind === 'guest' ? redisKeys.lobbyBlock(meetingId, lobbyBlockSubject.ip(record.ip)) : userBlock;
  const [status, waiting] = (await redis.eval(
    DECIDE_SCRIPT,
    5,
    ticketKey,
    redisKeys.lobbyWaiting(meetingId),
    redisKeys.lobbySubject(meetingId, record.userId),
    userBlock,
    addressBlock,
    ticketId,
    decision.verdict,
    decision.byUserId,
    String(LOBBY_TIMING.decisionHoldMs),
    decision.message ?? '',
  )) as [Decision['status'], number];
  return { status, userId: record.userId, waiting: Number(waiting) };
}

/**
 * After a removal: the user may not knock for `blockSeconds` — and when they came in as
 * a guest, neither may their address (a guest could come back under a new name).
 */
export async function blockAfterRemoval(redis: Redis, meetingId: string, userId: string, blockSeconds: number): Promise<void> {
  const ms = Math.max(1, blockSeconds) * 1000;
  const origin = await redis.get(redisKeys.lobbyGuestOrigin(meetingId, userId));
  const multi = redis.multi().set(redisKeys.lobbyBlock(meetingId, lobbyBlockSubject.user(userId)), '1', 'PX', ms);
  if (origin) multi.set(redisKeys.lobbyBlock(meetingId, lobbyBlockSubject.ip(origin)), '1', 'PX', ms);
  await multi.exec();
}

/** Knocks of this minute that were not announced one by one. */
export async function suppressedKnocks(redis: Redis, meetingId: string): Promise<number> {
  return Number((await redis.get(redisKeys.lobbySuppressed(meetingId))) ?? 0);
}

/** What an admission depends on: the meeting's status and its link settings (undefined when it is gone). */
export async function readEntryGate(
  db: Database,
  meetingId: string,
): Promise<{ status: MeetingStatus; settings: ResolvedMeetingSettings } | undefined> {
  const [row] = await db.execute<{ status: MeetingStatus; settings: unknown }>(
    sql`select status, settings from meetings where id = ${meetingId}`,
  );
  return row ? { status: row.status, settings: resolveMeetingSettings(row.settings) } : undefined;
}

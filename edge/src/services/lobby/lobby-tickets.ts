import type { Redis } from '@upstash/redis/cloudflare';
import { LOBBY_LUA_NOW, LOBBY_LUA_SETTLE, LOBBY_TIMING, lobbyBlockSubject, parseLobbyTicket, redisKeys, type LobbyEntrantKind, type LobbyTicketRecord } from '@huddle/protocol';
import { newSessionId } from '../refresh-tokens.ts';

// The edge's side of a lobby ticket (protocol/src/lobby.ts): knocking, waiting (each
// poll keeps the entrant present), leaving, and redeeming an admitted ticket once.
// Media nodes decide (admit, deny). Every transition is one Lua script on Redis's own
// clock (TIME), so edge instances and nodes agree on "now" and never race a decision.

/** A new ticket id: 128 random bits, base64url (the same shape as a session id). */
export const newTicketId = (): string => newSessionId();

const NOW = LOBBY_LUA_NOW;

/** Lua: drop waiting ids whose presence deadline (the score) has passed; `gone` lists them. */
const PRUNE = `local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 50)
if #gone > 0 then redis.call('ZREM', KEYS[2], unpack(gone)) end`;

// KEYS: ticket, waiting, subject, user block, address block, knocks, suppressed.
// ARGV: ticket id, presence ms, wait ms, hold ms, waiting max, announced knocks per
// minute, then field/value pairs of the ticket.
const KNOCK_SCRIPT = `${NOW}
local blocked = math.max(redis.call('PTTL', KEYS[4]), redis.call('PTTL', KEYS[5]))
if blocked > 0 then return {'blocked', blocked} end
local existing = redis.call('GET', KEYS[3])
if existing then return {'existing', existing} end
${PRUNE}
local presence, wait, hold = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local waiting = redis.call('ZCARD', KEYS[2])
if waiting >= tonumber(ARGV[5]) then
  local result = {'full', waiting}
  for _, id in ipairs(gone) do result[#result + 1] = id end
  return result
end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', 'waiting', 'knockedAt', tostring(now), 'expiresAt', tostring(now + wait), unpack(fields))
redis.call('PEXPIRE', KEYS[1], presence)
redis.call('ZADD', KEYS[2], now + presence, ARGV[1])
redis.call('PEXPIRE', KEYS[2], wait + presence + hold)
redis.call('SET', KEYS[3], ARGV[1], 'PX', presence)
local knocks = redis.call('INCR', KEYS[6])
if knocks == 1 then redis.call('PEXPIRE', KEYS[6], 60000) end
local suppressed = 0
if knocks > tonumber(ARGV[6]) then
  suppressed = redis.call('INCR', KEYS[7])
  if suppressed == 1 then redis.call('PEXPIRE', KEYS[7], 60000) end
end
local result = {'created', waiting + 1, suppressed, now}
for _, id in ipairs(gone) do result[#result + 1] = id end
return result
`;

// KEYS: ticket, waiting, subject. ARGV: ticket id, presence ms, hold ms, wait ms, user id.
// Reads the ticket of that user; a waiting one stays present for another presence
// period, or — past its expiry — leaves the lobby (`expired`).
const TOUCH_SCRIPT = `${NOW}
if redis.call('HGET', KEYS[1], 'userId') ~= ARGV[5] then return {'gone'} end
local h = redis.call('HGETALL', KEYS[1])
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'waiting' then
  local presence, hold = tonumber(ARGV[2]), tonumber(ARGV[3])
  if now >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then
    redis.call('HSET', KEYS[1], 'status', 'left')
    ${LOBBY_LUA_SETTLE}
    return {'expired', redis.call('ZCARD', KEYS[2])}
  end
  redis.call('PEXPIRE', KEYS[1], presence)
  redis.call('PEXPIRE', KEYS[3], presence)
  redis.call('ZADD', KEYS[2], 'XX', now + presence, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) + presence + hold)
end
local result = {'ok'}
for _, v in ipairs(h) do result[#result + 1] = v end
return result
`;

// KEYS: ticket. ARGV: user id, hold ms. An admitted ticket of this user becomes `used`, once.
const REDEEM_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'status', 'userId')
if not fields[1] or fields[2] ~= ARGV[1] then return 'gone' end
if fields[1] ~= 'admitted' then return fields[1] end
redis.call('HSET', KEYS[1], 'status', 'used')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 'used_now'
`;

// KEYS: ticket, waiting, subject. ARGV: ticket id, user id, hold ms. The entrant gives up.
const LEAVE_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'status', 'userId')
if not fields[1] or fields[2] ~= ARGV[2] then return {'gone'} end
if fields[1] ~= 'waiting' then return {fields[1]} end
local hold = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'left')
${LOBBY_LUA_SETTLE}
return {'left', redis.call('ZCARD', KEYS[2])}
`;

/** How long a settled ticket is kept so its entrant learns the outcome, in ms. */
const DECISION_HOLD_MS = LOBBY_TIMING.decisionHoldMs;

/** Timing of one lobby, from the edge config, in ms. */
export interface LobbyTiming {
  presenceMs: number;
  waitMs: number;
  waitingMax: number;
  knocksAnnouncedPerMinute: number;
  /** A denial blocks the entrant for this long, in seconds (stored in the ticket for the node). */
  blockSeconds: number;
}

/** Who knocks. */
export interface Knocker {
  kind: LobbyEntrantKind;
  userId: string;
  name: string;
  /** Signed-in users only. */
  username?: string | undefined;
  /** Client address (rate-limit form). */
  ip: string;
}

/** Outcome of a knock. */
export type KnockResult =
  | { status: 'created'; ticketId: string; record: LobbyTicketRecord; waiting: number; suppressed: number; gone: string[] }
  /** The same person already waits: their ticket. */
  | { status: 'existing'; ticketId: string }
  | { status: 'blocked'; retryAfterMs: number }
  | { status: 'full'; waiting: number; gone: string[] };

const blockKeys = (meetingId: string, knocker: Knocker): [string, string] => {
  const user = redisKeys.lobbyBlock(meetingId, lobbyBlockSubject.user(knocker.userId));
  // Guests can come back under a new name: their address is blocked too. Users cannot.
  const address = knocker.kind === 'guest' ? redisKeys.lobbyBlock(meetingId, lobbyBlockSubject.ip(knocker.ip)) : user;
  return [user, address];
};

/** Puts `knocker` in the meeting's lobby (or finds their waiting ticket), unless blocked or full. */
export async function knock(redis: Redis, meetingId: string, knocker: Knocker, timing: LobbyTiming): Promise<KnockResult> {
  const ticketId = newTicketId();
  const fields: Record<string, string> = {
    meetingId,
    kind: knocker.kind,
    userId: knocker.userId,
    name: knocker.name,
    ip: knocker.ip,
    blockSeconds: String(timing.blockSeconds),
    ...(knocker.username ? { username: knocker.username } : {}),
  };
  const reply = await redis.createScript<unknown[]>(KNOCK_SCRIPT).exec(
    [
      redisKeys.lobbyTicket(meetingId, ticketId),
      redisKeys.lobbyWaiting(meetingId),
      redisKeys.lobbySubject(meetingId, knocker.userId),
      ...blockKeys(meetingId, knocker),
      redisKeys.lobbyKnocks(meetingId),
      redisKeys.lobbySuppressed(meetingId),
    ],
    [
      ticketId,
      String(timing.presenceMs),
      String(timing.waitMs),
      String(DECISION_HOLD_MS),
      String(timing.waitingMax),
      String(timing.knocksAnnouncedPerMinute),
      ...Object.entries(fields).flat(),
    ],
  );
  const [status, ...rest] = reply;
  if (status === 'blocked') return { status, retryAfterMs: Number(rest[0]) };
  if (status === 'existing') return { status, ticketId: String(rest[0]) };
  if (status === 'full') return { status, waiting: Number(rest[0]), gone: rest.slice(1).map(String) };
  const [waiting, suppressed, now, ...gone] = rest;
  const knockedAt = Number(now);
  const record = parseLobbyTicket({
    ...fields,
    status: 'waiting',
    knockedAt: String(knockedAt),
    expiresAt: String(knockedAt + timing.waitMs),
  });
  if (!record) throw new Error('lobby knock wrote a ticket that does not parse');
  return { status: 'created', ticketId, record, waiting: Number(waiting), suppressed: Number(suppressed), gone: gone.map(String) };
}

/** A ticket as its entrant sees it on a poll. */
export type TicketRead =
  | { status: 'found'; record: LobbyTicketRecord }
  /** Waited past expiresAt: it just left the lobby. `waiting`: entrants left. */
  | { status: 'expired'; waiting: number }
  | { status: 'gone' };

/**
 * Reads `userId`'s ticket (`gone` when unknown, expired or someone else's) and, while it
 * waits, keeps its entrant present (or expires it).
 */
export async function touchTicket(
  redis: Redis,
  meetingId: string,
  ticketId: string,
  userId: string,
  timing: LobbyTiming,
): Promise<TicketRead> {
  const reply = await redis.createScript<unknown[]>(TOUCH_SCRIPT).exec(
    [redisKeys.lobbyTicket(meetingId, ticketId), redisKeys.lobbyWaiting(meetingId), redisKeys.lobbySubject(meetingId, userId)],
    [ticketId, String(timing.presenceMs), String(DECISION_HOLD_MS), String(timing.waitMs), userId],
  );
  const [status, ...rest] = reply;
  if (status === 'expired') return { status, waiting: Number(rest[0]) };
  if (status !== 'ok') return { status: 'gone' };
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < rest.length; i += 2) hash[String(rest[i])] = String(rest[i + 1]);
  const record = parseLobbyTicket(hash);
  return record ? { status: 'found', record } : { status: 'gone' };
}

/**
 * Marks an admitted ticket of `userId` used. `used_now`: this call redeemed it; any other
 * answer is the status that stopped it (`used`: redeemed before; `gone`: unknown, expired
 * or someone else's).
 */
export async function redeemTicket(redis: Redis, meetingId: string, ticketId: string, userId: string): Promise<string> {
  const reply = await redis
    .createScript<string>(REDEEM_SCRIPT)
    .exec([redisKeys.lobbyTicket(meetingId, ticketId)], [userId, String(DECISION_HOLD_MS)]);
  return String(reply);
}

/** The entrant leaves the lobby. `left` with the entrants still waiting, or the status that stopped it. */
export async function leaveTicket(
  redis: Redis,
  meetingId: string,
  ticketId: string,
  userId: string,
): Promise<{ status: 'left'; waiting: number } | { status: string }> {
  const [status, waiting] = await redis
    .createScript<unknown[]>(LEAVE_SCRIPT)
    .exec(
      [redisKeys.lobbyTicket(meetingId, ticketId), redisKeys.lobbyWaiting(meetingId), redisKeys.lobbySubject(meetingId, userId)],
      [ticketId, userId, String(DECISION_HOLD_MS)],
    );
  return status === 'left' ? { status: 'left', waiting: Number(waiting) } : { status: String(status) };
}

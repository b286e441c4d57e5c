import type { Redis } from '@upstash/redis/cloudflare';
import { redisKeys, type SessionEvent, type SessionRevokeReason } from '@huddle/protocol';

/**
 * Login sessions live in Redis under `session:{sid}` with the refresh-token TTL.
 * An access token (claim `sid`) and a join token (attribute `sid`) are honoured only
 * while their session exists, so deleting the key (logout, refresh-token reuse) revokes
 * every token of that login at once; revokeSession also tells the media nodes.
 */
export async function isSessionActive(redis: Redis, sessionId: string): Promise<boolean> {
  return (await redis.exists(redisKeys.session(sessionId))) === 1;
}

/**
 * How many rotated refresh-token hashes a session remembers (as 128-bit fingerprints,
 * ~3 KB), so presenting one of them is recognised as reuse. An older token is
 * rejected as unknown without revoking the session.
 */
export const REMEMBERED_ROTATIONS = 100;

/**
 * Starts a session: a Redis hash `{ userId, tokenHash, generation, createdAt }`
 * (tokenHash = SHA-256 hex of the current refresh secret) expiring after ttlSeconds.
 */
export async function createSession(
  redis: Redis,
  session: { sessionId: string; userId: string; tokenHash: string; ttlSeconds: number },
): Promise<void> {
  const key = redisKeys.session(session.sessionId);
  await redis
    .multi()
    .hset(key, {
      userId: session.userId,
      tokenHash: session.tokenHash,
      generation: 1,
      createdAt: new Date().toISOString(),
    })
    .expire(key, session.ttlSeconds)
    .exec();
}

/** Deletes a session; every access and refresh token of it stops working. True if it existed. */
export async function deleteSession(redis: Redis, sessionId: string): Promise<boolean> {
  return (await redis.del(redisKeys.session(sessionId))) === 1;
}

/** Outcome of presenting a refresh token to its session. */
export type RotationResult =
  /**
   * The presented token was current and now points at `nextHash`, or (`repeated`) it is
   * the token rotated away at `rotatedAtMs`, presented again within the grace period
   * while its successor is still current: the caller answers with that same successor.
   */
  | { status: 'rotated'; userId: string; generation: number; rotatedAtMs: number; repeated: boolean }
  /** An already-rotated token outside the grace: the session has been deleted (the whole family is revoked). */
  | { status: 'reused'; userId: string | undefined }
  /** No such session (expired, logged out, revoked), or a secret it never issued. */
  | { status: 'unknown' };

// Compare-and-swap of the refresh-token hash. Atomic in Redis, so of two concurrent
// refreshes with the same token exactly one rotates; the other then presents the token
// just rotated away. Within the grace period, and while the successor it would get is
// still the current token, that is not theft but a race (two tabs, a retried request):
// it gets the same rotation back. Any other rotated token is reuse and deletes the
// session. Comparing hashes with `==` leaks no useful timing: an attacker cannot choose
// SHA-256 outputs. Fingerprints (32 hex chars) are fixed-width, newest first, separated
// by one space, so the list is capped by cutting the string.
// KEYS[1] session key; ARGV: presented hash, next hash, ttl seconds, remembered
// rotations, now (ms since the epoch), grace (ms).
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'tokenHash')
if not current then return {'unknown'} end
local now = tonumber(ARGV[5])
if current == ARGV[1] then
  local previous = redis.call('HGET', KEYS[1], 'prev') or ''
  local list = string.sub(current, 1, 32)
  if previous ~= '' then list = list .. ' ' .. previous end
  list = string.sub(list, 1, tonumber(ARGV[4]) * 33 - 1)
  local generation = redis.call('HINCRBY', KEYS[1], 'generation', 1)
  redis.call('HSET', KEYS[1], 'tokenHash', ARGV[2], 'prev', list, 'rotatedAt', ARGV[5],
    'graceHash', ARGV[1], 'graceUntil', tostring(now + tonumber(ARGV[6])))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
  return {'rotated', redis.call('HGET', KEYS[1], 'userId'), generation, ARGV[5]}
end
local fields = redis.call('HMGET', KEYS[1], 'graceHash', 'graceUntil', 'userId', 'generation', 'rotatedAt', 'prev')
if fields[1] == ARGV[1] and current == ARGV[2] and now < tonumber(fields[2] or '0') then
  return {'repeated', fields[3], tonumber(fields[4]), fields[5]}
end
local fingerprint = string.sub(ARGV[1], 1, 32)
if string.find(' ' .. (fields[6] or '') .. ' ', ' ' .. fingerprint .. ' ', 1, true) then
  redis.call('DEL', KEYS[1])
  return {'reused', fields[3]}
end
return {'unknown'}
`;

/** A presented refresh token and what it rotates to. */
export interface Rotation {
  sessionId: string;
  /** SHA-256 hex of the presented secret. */
  presentedHash: string;
  /** SHA-256 hex of the successor secret (derived from the presented one: nextRefreshSecret). */
  nextHash: string;
  /** Session lifetime restarted by a rotation, in seconds. */
  ttlSeconds: number;
  /** How long the token just rotated away may be presented again for the same answer, in ms (0: never). */
  graceMs?: number;
  /** The current time, in ms since the epoch (default Date.now()). */
  nowMs?: number;
}

/**
 * Swaps the session's refresh-token hash from `presentedHash` to `nextHash` and
 * restarts its TTL (an active client stays signed in), atomically. Presenting the
 * token just rotated away within `graceMs` answers `rotated` again (`repeated: true`,
 * nothing changes); presenting any other remembered, already-rotated hash deletes the
 * session (`reused`).
 */
export async function rotateSession(redis: Redis, rotation: Rotation): Promise<RotationResult> {
  const script = redis.createScript<unknown[]>(ROTATE_SCRIPT);
  const reply = await script.exec(
    [redisKeys.session(rotation.sessionId)],
    [
      rotation.presentedHash,
      rotation.nextHash,
      String(rotation.ttlSeconds),
      String(REMEMBERED_ROTATIONS),
      String(rotation.nowMs ?? Date.now()),
      String(rotation.graceMs ?? 0),
    ],
  );
  const [status, userId, generation, rotatedAt] = reply;
  if ((status === 'rotated' || status === 'repeated') && typeof userId === 'string') {
    return { status: 'rotated', userId, generation: Number(generation), rotatedAtMs: Number(rotatedAt), repeated: status === 'repeated' };
  }
  if (status === 'reused') return { status, userId: typeof userId === 'string' ? userId : undefined };
  return { status: 'unknown' };
}

/**
 * Tells every media node that a session ended (`session.revoked` on `session_events`),
 * so they close its sockets now. The session key is already gone (that is the
 * revocation); a failed publish is logged, not thrown: the nodes also check the session
 * when a socket joins and in their periodic sweep.
 */
export async function announceSessionRevoked(
  redis: Redis,
  revoked: { sessionId: string; userId?: string | undefined; reason: SessionRevokeReason },
): Promise<void> {
  const event: SessionEvent = {
    type: 'session.revoked',
    sessionId: revoked.sessionId,
    ...(revoked.userId ? { userId: revoked.userId } : {}),
    reason: revoked.reason,
    at: new Date().toISOString(),
  };
  try {
    await redis.publish(redisKeys.sessionEvents, JSON.stringify(event));
  } catch (error) {
    console.error(
      JSON.stringify({
        level: 'error',
        service: 'edge',
        msg: 'publishing session.revoked failed',
        reason: revoked.reason,
        err: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}

/** Deletes the session and announces it (logout, disabled account). True if it existed. */
export async function revokeSession(
  redis: Redis,
  revoked: { sessionId: string; userId?: string | undefined; reason: SessionRevokeReason },
): Promise<boolean> {
  const existed = await deleteSession(redis, revoked.sessionId);
  await announceSessionRevoked(redis, revoked);
  return existed;
}

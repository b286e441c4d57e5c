import type { Redis } from '@upstash/redis/cloudflare';
import { redisKeys } from '@huddle/protocol';

/**
 * Login sessions live in Redis under `session:{sid}` with the refresh-token TTL.
 * An access token is honoured only while its session exists, so deleting the key
 * (logout, refresh-token reuse) revokes every token of that login at once.
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
  | { status: 'rotated'; userId: string; generation: number }
  /** An already-rotated token: the session has been deleted (the whole family is revoked). */
  | { status: 'reused' }
  /** No such session (expired, logged out, revoked), or a secret it never issued. */
  | { status: 'unknown' };

// Compare-and-swap of the refresh-token hash. Atomic in Redis, so of two concurrent
// refreshes with the same token exactly one rotates; the other then presents a rotated
// token, which is reuse. Comparing hashes with `~=` leaks no useful timing: an attacker
// cannot choose SHA-256 outputs. Fingerprints (32 hex chars) are fixed-width, newest
// first, separated by one space, so the list is capped by cutting the string.
// KEYS[1] session key; ARGV: presented hash, new hash, ttl seconds, remembered rotations, now (ISO).
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'tokenHash')
if not current then return {'unknown'} end
local previous = redis.call('HGET', KEYS[1], 'prev') or ''
if current ~= ARGV[1] then
  local fingerprint = string.sub(ARGV[1], 1, 32)
  if string.find(' ' .. previous .. ' ', ' ' .. fingerprint .. ' ', 1, true) then
    redis.call('DEL', KEYS[1])
    return {'reused'}
  end
  return {'unknown'}
end
local list = string.sub(current, 1, 32)
if previous ~= '' then list = list .. ' ' .. previous end
list = string.sub(list, 1, tonumber(ARGV[4]) * 33 - 1)
local generation = redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('HSET', KEYS[1], 'tokenHash', ARGV[2], 'prev', list, 'rotatedAt', ARGV[5])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {'rotated', redis.call('HGET', KEYS[1], 'userId'), generation}
`;

/**
 * Swaps the session's refresh-token hash from `presentedHash` to `nextHash` and
 * restarts its TTL (an active client stays signed in), atomically. Presenting a
 * remembered, already-rotated hash deletes the session.
 */
export async function rotateSession(
  redis: Redis,
  rotation: { sessionId: string; presentedHash: string; nextHash: string; ttlSeconds: number },
): Promise<RotationResult> {
  const script = redis.createScript<unknown[]>(ROTATE_SCRIPT);
  const reply = await script.exec(
    [redisKeys.session(rotation.sessionId)],
    [rotation.presentedHash, rotation.nextHash, String(rotation.ttlSeconds), String(REMEMBERED_ROTATIONS), new Date().toISOString()],
  );
  const [status, userId, generation] = reply;
  if (status === 'rotated' && typeof userId === 'string') {
    return { status, userId, generation: Number(generation) };
  }
  return status === 'reused' ? { status } : { status: 'unknown' };
}

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// The only steps that must be atomic are Lua scripts (as in BullMQ). Every script that
// moves an entry out of the stream first checks that the entry is still pending for the
// calling consumer: after XAUTOCLAIM gave it to another consumer, a slow original owner
// must not retry or dead-letter it a second time.

/** A Lua script with its SHA1, run with EVALSHA and loaded on NOSCRIPT. */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const OWNED = `
local function owned(stream, group, id, consumer)
  local p = redis.call('XPENDING', stream, group, id, id, 1, consumer)
  return #p > 0
end
`;

/**
 * Retry later: the entry leaves the stream (XACK + XDEL) and its next attempt enters the
 * delayed set, due at Redis time + delay, in one step.
 * KEYS: stream, delayed. ARGV: group, id, consumer, delayMs, member. Returns 1, or 0 if not owned.
 */
export const retryScript = script(
  'retry',
  `${OWNED}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[5])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`,
);

/**
 * Dead-letter: XADD the given fields to the dead stream, then XACK + XDEL the entry.
 * KEYS: stream, dead. ARGV: group, id, consumer, field, value, …. Returns 1, or 0 if not owned.
 */
export const deadLetterScript = script(
  'dead-letter',
  `${OWNED}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`,
);

/**
 * Hand back an unfinished task on shutdown: re-add it at the stream's tail for any
 * consumer and remove the pending copy.
 * KEYS: stream. ARGV: group, id, consumer, field, value, …. Returns 1, or 0 if not owned.
 */
export const handBackScript = script(
  'hand-back',
  `${OWNED}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`,
);

/**
 * Move due retries from the delayed set into the stream (any node may run it; the
 * script is atomic, so a retry is moved exactly once).
 * KEYS: delayed, stream. ARGV: limit. Returns how many moved.
 */
export const promoteScript = script(
  'promote',
  `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local e = cjson.decode(member)
  redis.call('XADD', KEYS[2], '*', 'task', e.task, 'history', e.history)
  redis.call('ZREM', KEYS[1], member)
end
return #due`,
);

/**
 * Renew the lease of entries this consumer still owns (XCLAIM JUSTID resets their idle
 * time, so XAUTOCLAIM elsewhere leaves them alone); entries another consumer took over
 * are skipped and returned.
 * KEYS: stream. ARGV: group, consumer, id, …. Returns the ids no longer owned.
 */
export const renewScript = script(
  'renew',
  `${OWNED}
local lost = {}
for i = 3, #ARGV do
  if owned(KEYS[1], ARGV[1], ARGV[i], ARGV[2]) then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost`,
);

/** Runs a script by SHA, loading it once when Redis does not know it yet. */
export async function runScript(
  redis: Redis,
  s: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.call('EVALSHA', s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.call('EVAL', s.lua, keys.length, ...keys, ...args);
  }
}

/**
 * Forget consumers that left (a restarted node gets a new name): only those with no
 * pending entries and idle longer than ARGV[2] ms, checked and deleted atomically, so a
 * consumer's unacknowledged work is never dropped with it.
 * KEYS: stream. ARGV: group, minIdleMs, self. Returns how many were deleted.
 */
export const pruneConsumersScript = script(
  'prune-consumers',
  `local cs = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
local n = 0
for _, c in ipairs(cs) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and tonumber(info['idle']) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    n = n + 1
  end
end
return n`,
);

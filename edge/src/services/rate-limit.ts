import type { Redis } from '@upstash/redis/cloudflare';
import { tooManyRequests } from '../lib/api-error.ts';

/** A fixed-window limit: at most `limit` hits per `windowSeconds` for one key. */
export interface RateLimit {
  /** Full Redis key of the counter, e.g. `ratelimit:login:ip:203.0.113.7`. */
  key: string;
  limit: number;
  windowSeconds: number;
}

/** Key prefix of every edge rate-limit counter. */
export const RATE_LIMIT_PREFIX = 'ratelimit:';

// One round trip for several counters: INCR each, start its window on the first hit,
// report count and remaining window. Atomic per key, so concurrent requests never
// both pass the last slot. A key left without TTL (e.g. written by hand) gets one.
// KEYS: counters; ARGV: window of each key, in milliseconds.
const HIT_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if count == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
return out
`;

/**
 * Counts one hit against each limit (all of them, even when an earlier one is already
 * exceeded) and throws 429 with Retry-After — the longest remaining window among the
 * exceeded limits — when any count is over its limit.
 */
export async function hitRateLimits(redis: Redis, limits: readonly RateLimit[]): Promise<void> {
  if (limits.length === 0) return;
  const reply = await redis.createScript<number[]>(HIT_SCRIPT).exec(
    limits.map((l) => l.key),
    limits.map((l) => String(l.windowSeconds * 1000)),
  );
  let retryAfterMs = 0;
  limits.forEach((limit, i) => {
    const count = Number(reply[2 * i]);
    const ttlMs = Number(reply[2 * i + 1]);
    if (count > limit.limit) retryAfterMs = Math.max(retryAfterMs, ttlMs, 1000);
  });
  if (retryAfterMs > 0) throw tooManyRequests(retryAfterMs / 1000);
}

/** Forgets the counters (e.g. an account's failures after a successful login). */
export async function resetRateLimits(redis: Redis, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await redis.del(...keys);
}

/**
 * The caller's IP for rate limiting: the socket's address when the runtime knows it
 * and no trusted proxy stands in front (the Node adapter), else `CF-Connecting-IP`
 * (set by Cloudflare, which overwrites any client value), else the first hop of
 * `X-Forwarded-For` (Node behind a proxy that sets it), else `unknown`. IPv6
 * addresses are reduced to their /64, the block one subscriber usually holds.
 */
export function clientIp(headers: Headers, socketAddress?: string): string {
  const raw =
    socketAddress?.replace(/^::ffff:/, '') ||
    headers.get('cf-connecting-ip')?.trim() ||
    headers.get('x-forwarded-for')?.split(',')[0]?.trim() ||
    '';
  if (raw === '') return 'unknown';
  if (raw.length > 64 || !/^[0-9A-Fa-f:.]+$/.test(raw)) return 'invalid';
  return raw.includes(':') ? (ipv6Prefix64(raw.toLowerCase()) ?? 'invalid') : raw;
}

function ipv6Prefix64(ip: string): string | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail] : head;
  const prefix = groups.slice(0, 4);
  if (prefix.length < 4 || prefix.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return `${prefix.map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

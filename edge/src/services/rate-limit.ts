import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '@upstash/redis/cloudflare';
import { tooManyRequests } from '../lib/api-error.ts';

/**
 * A sliding-window limit (@upstash/ratelimit): at most `limit` hits in any
 * `windowSeconds` for one identifier (the previous window counts in proportion to how
 * much of it the sliding window still covers).
 */
export interface RateLimit {
  /** What is limited, e.g. `login:ip:203.0.113.7`; its Redis keys are `ratelimit:{identifier}:{window}`. */
  identifier: string;
  limit: number;
  windowSeconds: number;
}

/** Key prefix of every edge rate-limit counter (`ratelimit:`). */
export const RATE_LIMIT_PREFIX = 'ratelimit:';

// One limiter per request (Workers: no I/O object outlives its request), configured so
// Redis is the only truth and an outage is an error, never a free pass:
// - ephemeralCache: false — the library's in-isolate "blocked until" cache would keep
//   blocking in one isolate after the counters were cleared, and not in the others;
// - timeout: 0 — the library's default (5 s) lets requests through when Redis is slow;
// - analytics off (no extra writes).
function limiterFor(redis: Redis, limit: RateLimit): Ratelimit {
  return new Ratelimit({
    redis,
    limiter: Ratelimit.slidingWindow(limit.limit, `${limit.windowSeconds} s`),
    prefix: RATE_LIMIT_PREFIX.slice(0, -1),
    ephemeralCache: false,
    timeout: 0,
    analytics: false,
  });
}

/**
 * Counts one hit against each limit (all of them in one pipelined round trip, even when
 * one is already exhausted) and throws 429 with Retry-After — the latest window end
 * among the exhausted limits — when any of them is over. A hit refused by a limit is
 * not counted by that limit.
 */
export async function hitRateLimits(redis: Redis, limits: readonly RateLimit[]): Promise<void> {
  if (limits.length === 0) return;
  const results = await Promise.all(limits.map((limit) => limiterFor(redis, limit).limit(limit.identifier)));
  const now = Date.now();
  let retryAfterMs = 0;
  for (const result of results) {
    if (!result.success) retryAfterMs = Math.max(retryAfterMs, result.reset - now, 1000);
  }
  if (retryAfterMs > 0) throw tooManyRequests(retryAfterMs / 1000);
}

/**
 * Gives one hit back to a limit (e.g. an account's login attempt that turned out to be
 * right: the account limit then counts failures only). Atomic per identifier.
 */
export async function refundRateLimit(redis: Redis, limit: RateLimit): Promise<void> {
  await limiterFor(redis, limit).limit(limit.identifier, { rate: -1 });
}

/**
 * Checks without counting: 429 with Retry-After (the window's end) when `limit` has no
 * hits left. For budgets charged only by some outcomes (link lookups that miss).
 */
export async function requireHitsLeft(redis: Redis, limit: RateLimit): Promise<void> {
  const { remaining, reset } = await limiterFor(redis, limit).getRemaining(limit.identifier);
  if (remaining <= 0) throw tooManyRequests(Math.max(1000, reset - Date.now()) / 1000);
}

/** Hits left for `limit` right now (tests, diagnostics). */
export async function remainingHits(redis: Redis, limit: RateLimit): Promise<number> {
  return (await limiterFor(redis, limit).getRemaining(limit.identifier)).remaining;
}

/**
 * The caller's IP for rate limiting. `runtimeAddress` is the client address the runtime
 * determined (the Node adapter: the socket's peer, or what a trusted proxy forwarded —
 * see edge/src/node.ts); when it is given, no header is looked at. Otherwise (Workers)
 * `CF-Connecting-IP`, which Cloudflare sets and overwrites on every request, else
 * `unknown`. IPv6 addresses are reduced to their /64, the block one subscriber usually
 * holds.
 */
export function clientIp(headers: Headers, runtimeAddress?: string): string {
  const raw = runtimeAddress !== undefined ? runtimeAddress.replace(/^::ffff:/, '') : (headers.get('cf-connecting-ip')?.trim() ?? '');
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

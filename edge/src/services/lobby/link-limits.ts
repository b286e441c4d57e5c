import type { Redis } from '@upstash/redis/cloudflare';
import type { LobbyConfig } from '../../config.ts';
import { ApiError, tooManyRequests } from '../../lib/api-error.ts';
import { hitRateLimits, RATE_LIMIT_PREFIX, type RateLimit } from '../rate-limit.ts';

// Rate limits of the link routes. Guessing codes is what they must make hopeless: every
// lookup that finds no meeting (or one that does not take link entry — the same 404) is
// a miss, and a client address gets `missesPerHour` of them (README "Join by link"
// computes what that leaves an attacker). The other limits bound floods: requests per
// address and per code, knocks per address and per code.

type LinkLimits = LobbyConfig['limits'];

const limitKey = (what: string, id: string): string => `${RATE_LIMIT_PREFIX}link:${what}:${id}`;

/** The miss budget of one client address. */
export const missLimit = (limits: LinkLimits, ip: string): RateLimit => ({
  key: limitKey('miss:ip', ip),
  limit: limits.missesPerHour,
  windowSeconds: 3_600,
});

/**
 * Counts a preview or an entry against the address and the code (429 with Retry-After
 * when either is over), and refuses it when the address has no misses left: a client
 * that guessed its way through the miss budget gets no more answers for the window,
 * hits included, so the answer cannot tell it a code exists.
 */
export async function chargeLinkRequest(redis: Redis, limits: LinkLimits, ip: string, code: string): Promise<void> {
  await hitRateLimits(redis, [
    { key: limitKey('ip', ip), limit: limits.requestsPerMinute, windowSeconds: 60 },
    { key: limitKey('code', code), limit: limits.requestsPerCodePerMinute, windowSeconds: 60 },
  ]);
  const miss = missLimit(limits, ip);
  const [count, ttlMs] = await Promise.all([redis.get<number | string>(miss.key), redis.pttl(miss.key)]);
  if (Number(count ?? 0) >= miss.limit) throw tooManyRequests(Math.max(1, ttlMs) / 1000);
}

/** Counts a miss (a 404 answer) against the address. */
export async function chargeMiss(redis: Redis, limits: LinkLimits, ip: string): Promise<void> {
  // The window is already counted through: no 429 here, the next request is refused.
  await hitRateLimits(redis, [missLimit(limits, ip)]).catch((error: unknown) => {
    if (!(error instanceof ApiError && error.status === 429)) throw error;
  });
}

/** Counts a knock against the address and the code; 429 when either is over. */
export async function chargeKnock(redis: Redis, limits: LinkLimits, ip: string, code: string): Promise<void> {
  await hitRateLimits(redis, [
    { key: limitKey('knock:ip', ip), limit: limits.knocksPerIpPerHour, windowSeconds: 3_600 },
    { key: limitKey('knock:code', code), limit: limits.knocksPerCodePerMinute, windowSeconds: 60 },
  ]);
}

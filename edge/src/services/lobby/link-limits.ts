import type { Redis } from '@upstash/redis/cloudflare';
import type { LobbyConfig } from '../../config.ts';
import { ApiError } from '../../lib/api-error.ts';
import { hitRateLimits, requireHitsLeft, type RateLimit } from '../rate-limit.ts';

// Rate limits of the link routes. Guessing codes is what they must make hopeless: every
// lookup that finds no meeting (or one that does not take link entry — the same 404) is
// a miss, and a client address gets `missesPerHour` of them (README "Join by link"
// computes what that leaves an attacker). The other limits bound floods: requests per
// address and per code, knocks per address and per code.

type LinkLimits = LobbyConfig['limits'];

/** Identifier of a link limit (Redis keys `ratelimit:link:…`). */
export const linkLimitId = (what: string, id: string): string => `link:${what}:${id}`;

/** The miss budget of one client address. */
export const missLimit = (limits: LinkLimits, ip: string): RateLimit => ({
  identifier: linkLimitId('miss:ip', ip),
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
    { identifier: linkLimitId('ip', ip), limit: limits.requestsPerMinute, windowSeconds: 60 },
    { identifier: linkLimitId('code', code), limit: limits.requestsPerCodePerMinute, windowSeconds: 60 },
  ]);
  await requireHitsLeft(redis, missLimit(limits, ip));
}

/** Counts a miss (a 404 answer) against the address. */
export async function chargeMiss(redis: Redis, limits: LinkLimits, ip: string): Promise<void> {
  // Over the budget already (a concurrent miss): no 429 for this one, the next request is refused.
  await hitRateLimits(redis, [missLimit(limits, ip)]).catch((error: unknown) => {
    if (!(error instanceof ApiError && error.status === 429)) throw error;
  });
}

/** Counts a knock against the address and the code; 429 when either is over. */
export async function chargeKnock(redis: Redis, limits: LinkLimits, ip: string, code: string): Promise<void> {
  await hitRateLimits(redis, [
    { identifier: linkLimitId('knock:ip', ip), limit: limits.knocksPerIpPerHour, windowSeconds: 3_600 },
    { identifier: linkLimitId('knock:code', code), limit: limits.knocksPerCodePerMinute, windowSeconds: 60 },
  ]);
}

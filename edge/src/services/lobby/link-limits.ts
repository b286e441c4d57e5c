import type { Redis } from '@upstash/redis/cloudflare';
import type { LobbyConfig } from '../../config.ts';
import { hitRateLimits, refundRateLimit, type RateLimit } from '../rate-limit.ts';

// Rate limits of the link routes. Guessing codes is what they must make hopeless: every
// lookup that finds no meeting (or one that does not take link entry — the same 404) is
// a miss, and a client address gets `missesPerHour` of them (README "Join by link"
// computes what that leaves an attacker). Each lookup is charged as a miss up front and
// refunded when it finds the meeting, so concurrent guesses cannot overrun the budget,
// and an address without misses left gets 429 for every code — real ones too: the
// answer cannot tell it a code exists. The other limits bound floods: requests per
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
 * Counts a preview or an entry against the address and the code, then — only when both
 * let it through — against the address's miss budget (until refundMiss); 429 with
 * Retry-After when any is over. A request refused for being one too many is no miss: a
 * crowd behind one address (an office NAT) opening a link at once must not spend the
 * address's hourly miss budget and lock itself out for an hour.
 */
export async function chargeLinkRequest(redis: Redis, limits: LinkLimits, ip: string, code: string): Promise<void> {
  await hitRateLimits(redis, [
    { identifier: linkLimitId('ip', ip), limit: limits.requestsPerMinute, windowSeconds: 60 },
    { identifier: linkLimitId('code', code), limit: limits.requestsPerCodePerMinute, windowSeconds: 60 },
  ]);
  await hitRateLimits(redis, [missLimit(limits, ip)]);
}

/** Counts a lookup against the address's miss budget only (ticket routes; polls are limited per entrant). */
export async function chargeLookup(redis: Redis, limits: LinkLimits, ip: string): Promise<void> {
  await hitRateLimits(redis, [missLimit(limits, ip)]);
}

/**
 * Runs a charged lookup; when it fails (the database is down) the miss is given back:
 * a failure is no miss. Its result, or its error, is passed on.
 */
export async function lookupCharged<T>(redis: Redis, limits: LinkLimits, ip: string, lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (error) {
    await refundMiss(redis, limits, ip).catch(() => undefined);
    throw error;
  }
}

/** The lookup found what it asked for: not a miss after all. */
export async function refundMiss(redis: Redis, limits: LinkLimits, ip: string): Promise<void> {
  await refundRateLimit(redis, missLimit(limits, ip));
}

/** Counts a knock against the address and the code; 429 when either is over. */
export async function chargeKnock(redis: Redis, limits: LinkLimits, ip: string, code: string): Promise<void> {
  await hitRateLimits(redis, [
    { identifier: linkLimitId('knock:ip', ip), limit: limits.knocksPerIpPerHour, windowSeconds: 3_600 },
    { identifier: linkLimitId('knock:code', code), limit: limits.knocksPerCodePerMinute, windowSeconds: 60 },
  ]);
}

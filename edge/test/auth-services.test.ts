// The auth building blocks under Node, against the real Redis through the gateway.
import { describe, expect, it } from 'vitest';
import { Redis } from '@upstash/redis/cloudflare';
import { redisKeys } from '@huddle/protocol';
import { ApiError } from '../src/lib/api-error.ts';
import { CURRENT_SCRYPT_PARAMS, hashPassword, verifyAgainstDummy, verifyPassword } from '../src/services/passwords.ts';
import { clientIp, hitRateLimits, refundRateLimit, remainingHits } from '../src/services/rate-limit.ts';
import {
  formatRefreshToken,
  hashRefreshSecret,
  newRefreshSecret,
  newSessionId,
  nextRefreshSecret,
  parseRefreshToken,
} from '../src/services/refresh-tokens.ts';
import { createSession, isSessionActive, REMEMBERED_ROTATIONS, rotateSession } from '../src/services/sessions.ts';
import { randomSuffix } from './users-helper.ts';

const redis = new Redis({
  url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
  token: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token',
});

describe('passwords (scrypt)', () => {
  it('hashes into a self-describing string and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse');
    const { N, r, p } = CURRENT_SCRYPT_PARAMS;
    expect(hash.startsWith(`scrypt$${N}$${r}$${p}$`)).toBe(true);
    expect(await hashPassword('correct horse')).not.toBe(hash); // salted
    expect(await verifyPassword('correct horse', hash)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword('correct horsE', hash)).toEqual({ ok: false, needsRehash: false });
    // NFKC: the composed and decomposed forms of "é" are the same password.
    const accented = await hashPassword('caf\u00e9-latte');
    expect((await verifyPassword('cafe\u0301-latte', accented)).ok).toBe(true);
  });

  it('flags hashes made with other parameters for an upgrade', async () => {
    const old = await hashPassword('correct horse', { N: 2 ** 10, r: 8, p: 1 });
    expect(old.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('correct horse', old)).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPassword('wrong', old)).toEqual({ ok: false, needsRehash: false });
  });

  it('never matches a malformed or unreasonable hash, and the dummy never matches', async () => {
    for (const bad of ['', 'scrypt$test', 'bcrypt$2b$10$abc', 'scrypt$1000$8$1$AAAA$AAAA', `scrypt$${2 ** 24}$8$1$${'A'.repeat(24)}$${'A'.repeat(44)}`]) {
      expect(await verifyPassword('anything', bad), bad).toEqual({ ok: false, needsRehash: false });
    }
    await expect(verifyAgainstDummy('anything')).resolves.toBeUndefined();
  });
});

describe('refresh tokens', () => {
  it('formats and parses `<sid>.<secret>` and rejects anything else', async () => {
    const sid = newSessionId();
    const secret = newRefreshSecret();
    expect(sid).toMatch(/^[\w-]{22}$/);
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(parseRefreshToken(formatRefreshToken(sid, secret))).toEqual({ sessionId: sid, secret });
    for (const bad of ['', sid, `${sid}.`, `.${secret}`, `${sid}.${secret}.x`, `${sid}.${secret}=`, `${sid}+.${secret}`]) {
      expect(parseRefreshToken(bad), bad).toBeUndefined();
    }
    expect(await hashRefreshSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('sessions', () => {
  it('remembers the last rotations as reuse; an older token is only unknown', async () => {
    const sessionId = newSessionId();
    const secrets = [newRefreshSecret()];
    const userId = crypto.randomUUID();
    await createSession(redis, { sessionId, userId, tokenHash: await hashRefreshSecret(secrets[0]!), ttlSeconds: 60 });
    expect(await isSessionActive(redis, sessionId)).toBe(true);
    for (let i = 0; i <= REMEMBERED_ROTATIONS; i++) {
      const next = newRefreshSecret();
      const result = await rotateSession(redis, {
        sessionId,
        presentedHash: await hashRefreshSecret(secrets.at(-1)!),
        nextHash: await hashRefreshSecret(next),
        ttlSeconds: 60,
      });
      expect(result).toMatchObject({ status: 'rotated', generation: i + 2 });
      secrets.push(next);
    }
    const present = async (secret: string) =>
      rotateSession(redis, { sessionId, presentedHash: await hashRefreshSecret(secret), nextHash: await hashRefreshSecret(newRefreshSecret()), ttlSeconds: 60 });
    // secrets[0] was rotated REMEMBERED_ROTATIONS + 1 times ago: forgotten.
    expect(await present(secrets[0]!)).toEqual({ status: 'unknown' });
    expect(await present(newRefreshSecret())).toEqual({ status: 'unknown' });
    expect(await isSessionActive(redis, sessionId)).toBe(true);
    expect(await present(secrets[1]!)).toEqual({ status: 'reused', userId });
    expect(await isSessionActive(redis, sessionId)).toBe(false);
    expect(await present(secrets.at(-1)!)).toEqual({ status: 'unknown' });
    expect(await redis.exists(redisKeys.session(sessionId))).toBe(0);
  });
});

describe('refresh grace', () => {
  const config = { jwtSecret: 'grace-test-secret-0123456789abcdef0123456789' };
  async function newSession() {
    const sessionId = newSessionId();
    const userId = crypto.randomUUID();
    const first = newRefreshSecret();
    await createSession(redis, { sessionId, userId, tokenHash: await hashRefreshSecret(first), ttlSeconds: 60 });
    const rotate = async (secret: string, nowMs: number, graceMs = 5_000) =>
      rotateSession(redis, {
        sessionId,
        presentedHash: await hashRefreshSecret(secret),
        nextHash: await hashRefreshSecret(await nextRefreshSecret(config, secret)),
        ttlSeconds: 60,
        nowMs,
        graceMs,
      });
    return { sessionId, userId, first, rotate };
  }

  it('derives the successor of a secret from the secret and the server key only', async () => {
    const secret = newRefreshSecret();
    const next = await nextRefreshSecret(config, secret);
    expect(parseRefreshToken(formatRefreshToken(newSessionId(), next))).toBeDefined();
    expect(await nextRefreshSecret(config, secret)).toBe(next);
    expect(await nextRefreshSecret({ jwtSecret: `${config.jwtSecret}x` }, secret)).not.toBe(next);
    expect(await nextRefreshSecret(config, newRefreshSecret())).not.toBe(next);
  });

  it('answers the token just rotated away with the same rotation within the grace, and revokes after it', async () => {
    const { sessionId, userId, first, rotate } = await newSession();
    const t0 = Date.now();
    expect(await rotate(first, t0)).toEqual({ status: 'rotated', userId, generation: 2, rotatedAtMs: t0, repeated: false });
    expect(await rotate(first, t0 + 4_999)).toEqual({ status: 'rotated', userId, generation: 2, rotatedAtMs: t0, repeated: true });
    expect(await rotate(first, t0 + 5_000)).toEqual({ status: 'reused', userId });
    expect(await isSessionActive(redis, sessionId)).toBe(false);
  });

  it('treats a token two rotations back as reuse even within the grace', async () => {
    const { sessionId, userId, first, rotate } = await newSession();
    const t0 = Date.now();
    await rotate(first, t0);
    const second = await nextRefreshSecret(config, first);
    expect(await rotate(second, t0 + 10)).toMatchObject({ status: 'rotated', generation: 3, repeated: false });
    expect(await rotate(first, t0 + 20)).toEqual({ status: 'reused', userId });
    expect(await isSessionActive(redis, sessionId)).toBe(false);
  });

  it('has no grace when it is 0', async () => {
    const { userId, first, rotate } = await newSession();
    const t0 = Date.now();
    await rotate(first, t0, 0);
    expect(await rotate(first, t0 + 1, 0)).toEqual({ status: 'reused', userId });
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits (@upstash/ratelimit, sliding window)', () => {
  it('allows `limit` hits per window, then throws 429 with Retry-After, then allows again', async () => {
    const limit = { identifier: `test:${randomSuffix()}`, limit: 3, windowSeconds: 1 };
    const other = { identifier: `test:${randomSuffix()}`, limit: 100, windowSeconds: 60 };
    for (let i = 0; i < 3; i++) await hitRateLimits(redis, [limit, other]);
    const error = await hitRateLimits(redis, [limit, other]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', headers: { 'Retry-After': '1' } });
    expect(await remainingHits(redis, other)).toBe(96); // every limit counts the hit
    expect(await remainingHits(redis, limit)).toBe(0); // a refused hit is not counted
    // Two windows later nothing of the burst is left in the sliding window.
    await sleep(2_050);
    await expect(hitRateLimits(redis, [limit])).resolves.toBeUndefined();
  });

  it('smooths a burst across a window boundary (a fixed window would allow twice the limit)', async () => {
    const limit = { identifier: `test:${randomSuffix()}`, limit: 4, windowSeconds: 2 };
    const hit = () => hitRateLimits(redis, [limit]).then(() => true, () => false);
    await sleep((1_700 - (Date.now() % 2_000) + 2_000) % 2_000); // late in a window
    expect(await Promise.all([hit(), hit(), hit(), hit()])).toEqual([true, true, true, true]);
    await sleep(2_300 - (Date.now() % 2_000)); // early in the next one
    const next = await Promise.all([hit(), hit(), hit(), hit()]);
    expect(next.filter(Boolean).length).toBeLessThanOrEqual(2);
  });

  it('gives a hit back (a successful login does not count against its account)', async () => {
    const limit = { identifier: `test:${randomSuffix()}`, limit: 2, windowSeconds: 60 };
    await hitRateLimits(redis, [limit]);
    await hitRateLimits(redis, [limit]);
    await refundRateLimit(redis, limit);
    expect(await remainingHits(redis, limit)).toBe(1);
    await expect(hitRateLimits(redis, [limit])).resolves.toBeUndefined();
    await expect(hitRateLimits(redis, [limit])).rejects.toMatchObject({ status: 429 });
  });

  it('takes the client IP from the runtime when it has one, else CF-Connecting-IP; IPv6 per /64', () => {
    const ip = (headers: Record<string, string>) => clientIp(new Headers(headers));
    expect(ip({ 'cf-connecting-ip': '203.0.113.9', 'x-forwarded-for': '198.51.100.1' })).toBe('203.0.113.9');
    // On Workers only Cloudflare's header counts: X-Forwarded-For is whatever the client wrote.
    expect(ip({ 'x-forwarded-for': '198.51.100.1' })).toBe('unknown');
    expect(ip({})).toBe('unknown');
    expect(ip({ 'cf-connecting-ip': '2001:DB8:1:2:3:4:5:6' })).toBe('2001:db8:1:2::/64');
    expect(ip({ 'cf-connecting-ip': '2001:db8::1' })).toBe('2001:db8:0:0::/64');
    expect(ip({ 'cf-connecting-ip': '2001:db8:0a:00b0::' })).toBe('2001:db8:a:b0::/64');
    expect(ip({ 'cf-connecting-ip': '::1' })).toBe('0:0:0:0::/64');
    expect(ip({ 'cf-connecting-ip': 'evil key with spaces' })).toBe('invalid');
    expect(ip({ 'cf-connecting-ip': '1:2:3::4::5' })).toBe('invalid');
    // The Node adapter passes the address it determined: headers the client sent do not count.
    const spoofed = new Headers({ 'cf-connecting-ip': '203.0.113.9', 'x-forwarded-for': '198.51.100.1' });
    expect(clientIp(spoofed, '192.0.2.44')).toBe('192.0.2.44');
    expect(clientIp(spoofed, '::ffff:192.0.2.44')).toBe('192.0.2.44');
    expect(clientIp(spoofed, '')).toBe('unknown');
  });
});

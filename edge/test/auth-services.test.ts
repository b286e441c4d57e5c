// The auth building blocks under Node, against the real Redis through the gateway.
import { describe, expect, it } from 'vitest';
import { Redis } from '@upstash/redis/cloudflare';
import { redisKeys } from '@huddle/protocol';
import { ApiError } from '../src/lib/api-error.ts';
import { CURRENT_SCRYPT_PARAMS, hashPassword, verifyAgainstDummy, verifyPassword } from '../src/services/passwords.ts';
import { clientIp, hitRateLimits, resetRateLimits } from '../src/services/rate-limit.ts';
import {
  formatRefreshToken,
  hashRefreshSecret,
  newRefreshSecret,
  newSessionId,
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
    await createSession(redis, { sessionId, userId: crypto.randomUUID(), tokenHash: await hashRefreshSecret(secrets[0]!), ttlSeconds: 60 });
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
    expect(await present(secrets[1]!)).toEqual({ status: 'reused' });
    expect(await isSessionActive(redis, sessionId)).toBe(false);
    expect(await present(secrets.at(-1)!)).toEqual({ status: 'unknown' });
    expect(await redis.exists(redisKeys.session(sessionId))).toBe(0);
  });
});

describe('rate limits', () => {
  it('allows `limit` hits per window, then throws 429 with the remaining window, then allows again', async () => {
    const key = `ratelimit:test:${randomSuffix()}`;
    const other = `ratelimit:test:${randomSuffix()}`;
    const limits = [{ key, limit: 3, windowSeconds: 1 }, { key: other, limit: 100, windowSeconds: 60 }];
    for (let i = 0; i < 3; i++) await hitRateLimits(redis, limits);
    const error = await hitRateLimits(redis, limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', headers: { 'Retry-After': '1' } });
    expect(await redis.get(other)).toBe(4); // every limit counts the hit
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(hitRateLimits(redis, limits)).resolves.toBeUndefined();
    await resetRateLimits(redis, [key, other]);
    expect(await redis.exists(key, other)).toBe(0);
  });

  it('reads the client IP from CF-Connecting-IP, then X-Forwarded-For; IPv6 per /64', () => {
    const ip = (headers: Record<string, string>) => clientIp(new Headers(headers));
    expect(ip({ 'cf-connecting-ip': '203.0.113.9', 'x-forwarded-for': '198.51.100.1' })).toBe('203.0.113.9');
    expect(ip({ 'x-forwarded-for': ' 198.51.100.1 , 10.0.0.1' })).toBe('198.51.100.1');
    expect(ip({})).toBe('unknown');
    expect(ip({ 'cf-connecting-ip': '2001:DB8:1:2:3:4:5:6' })).toBe('2001:db8:1:2::/64');
    expect(ip({ 'cf-connecting-ip': '2001:db8::1' })).toBe('2001:db8:0:0::/64');
    expect(ip({ 'cf-connecting-ip': '2001:db8:0a:00b0::' })).toBe('2001:db8:a:b0::/64');
    expect(ip({ 'cf-connecting-ip': '::1' })).toBe('0:0:0:0::/64');
    expect(ip({ 'x-forwarded-for': 'evil key with spaces' })).toBe('invalid');
    // The Node adapter passes the socket address: headers the client sent do not count.
    const spoofed = new Headers({ 'cf-connecting-ip': '203.0.113.9', 'x-forwarded-for': '198.51.100.1' });
    expect(clientIp(spoofed, '192.0.2.44')).toBe('192.0.2.44');
    expect(clientIp(spoofed, '::ffff:192.0.2.44')).toBe('192.0.2.44');
    expect(ip({ 'x-forwarded-for': '1:2:3::4::5' })).toBe('invalid');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { LOGIN_LIMITS, REGISTER_LIMITS } from '../src/services/auth.ts';
import { remainingHits } from '../src/services/rate-limit.ts';
import { startEdge, testSecrets, type EdgeUnderTest } from './harness.ts';
import { newUserInput, postJson, randomSuffix, registerAndLogin, roomInWindow, testClientIp } from './users-helper.ts';

let edge: EdgeUnderTest;
let redis: Redis;

beforeAll(async () => {
  edge = await startEdge();
  redis = new Redis({
    url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
    token: testSecrets.UPSTASH_REDIS_REST_TOKEN,
  });
});
afterAll(() => edge?.close());

const login = (body: { login: string; password: string }, ip = testClientIp()) =>
  edge.fetch('/api/v1/auth/login', postJson(body, { 'cf-connecting-ip': ip }));
const accountLimit = (login: string) => ({
  identifier: `login:account:${createHash('sha256').update(login.toLowerCase()).digest('hex')}`,
  ...LOGIN_LIMITS.perAccount,
});

async function expectRateLimited(response: Response, maxRetryAfterSeconds: number): Promise<void> {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfterSeconds);
  expect(await response.json()).toEqual({
    error: { code: 'rate_limited', message: expect.any(String), details: { retryAfterSeconds: expect.any(Number) } },
  });
}

describe('login rate limits', () => {
  it(`per account: after ${LOGIN_LIMITS.perAccount.limit} failures, 429 even with the right password, from any IP`, async () => {
    const victim = await registerAndLogin(edge);
    const bystander = await registerAndLogin(edge);
    await roomInWindow(LOGIN_LIMITS.perAccount.windowSeconds, 60_000);
    for (let i = 0; i < LOGIN_LIMITS.perAccount.limit; i++) {
      const response = await login({ login: victim.user.username, password: `wrong-${i}-password` });
      expect(response.status, `attempt ${i + 1}`).toBe(401);
    }
    const ip = testClientIp();
    await expectRateLimited(
      await login({ login: victim.user.username.toUpperCase(), password: victim.password }, ip),
      LOGIN_LIMITS.perAccount.windowSeconds,
    );
    // Another account from the same IP is not affected.
    expect((await login({ login: bystander.user.username, password: bystander.password }, ip)).status).toBe(200);
    // The account's email is a separate counter (documented: username and email are counted apart).
    expect((await login({ login: victim.user.email, password: victim.password })).status).toBe(200);
  }, 150_000);

  it('counts failures per account: a successful login gives its own attempt back', async () => {
    const user = await registerAndLogin(edge); // its login counted nothing
    const limit = accountLimit(user.user.username);
    expect(await remainingHits(redis, limit)).toBe(LOGIN_LIMITS.perAccount.limit);
    for (let i = 0; i < 3; i++) {
      expect((await login({ login: user.user.username, password: 'not-the-password' })).status).toBe(401);
    }
    expect(await remainingHits(redis, limit)).toBe(LOGIN_LIMITS.perAccount.limit - 3);
    expect((await login({ login: user.user.username, password: user.password })).status).toBe(200);
    expect(await remainingHits(redis, limit)).toBe(LOGIN_LIMITS.perAccount.limit - 3);
  });

  it('counts parallel guesses before checking them: no more than the limit get through', async () => {
    const victim = await registerAndLogin(edge);
    await roomInWindow(LOGIN_LIMITS.perAccount.windowSeconds, 60_000);
    const responses = await Promise.all(
      Array.from({ length: LOGIN_LIMITS.perAccount.limit + 5 }, (_, i) =>
        login({ login: victim.user.username, password: `guess-${i}-wrong` }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.perAccount.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  }, 150_000);

  it(`per IP: attempt #${LOGIN_LIMITS.perIp.limit + 1} within a minute is 429; other IPs carry on`, async () => {
    const ip = testClientIp();
    await roomInWindow(LOGIN_LIMITS.perIp.windowSeconds, 40_000);
    // Distinct unknown logins, so only the per-IP limit can trip.
    for (let batch = 0; batch < LOGIN_LIMITS.perIp.limit; batch += 5) {
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => login({ login: `ghost_${randomSuffix()}`, password: 'whatever-pass' }, ip)),
      );
      expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    }
    await expectRateLimited(await login({ login: `ghost_${randomSuffix()}`, password: 'whatever-pass' }, ip), 60);
    // Same /64, another address: the same client as far as the limiter is concerned.
    const sibling = ip.replace(/::1$/, '::abcd');
    expect((await login({ login: `ghost_${randomSuffix()}`, password: 'whatever-pass' }, sibling)).status).toBe(429);
    expect((await login({ login: `ghost_${randomSuffix()}`, password: 'whatever-pass' })).status).toBe(401);
  }, 150_000);
});

describe('register rate limit', () => {
  it(`per IP: registration #${REGISTER_LIMITS.perIp.limit + 1} within the window is 429 and writes nothing`, async () => {
    const ip = testClientIp();
    await roomInWindow(REGISTER_LIMITS.perIp.windowSeconds, 40_000);
    for (let batch = 0; batch < REGISTER_LIMITS.perIp.limit; batch += 5) {
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => edge.fetch('/api/v1/auth/register', postJson(newUserInput(), { 'cf-connecting-ip': ip }))),
      );
      expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    }
    const input = newUserInput();
    await expectRateLimited(
      await edge.fetch('/api/v1/auth/register', postJson(input, { 'cf-connecting-ip': ip })),
      REGISTER_LIMITS.perIp.windowSeconds,
    );
    const login = await edge.fetch(
      '/api/v1/auth/login',
      postJson({ login: input.username, password: input.password }, { 'cf-connecting-ip': testClientIp() }),
    );
    expect(login.status).toBe(401); // no such user was created
  }, 150_000);
});

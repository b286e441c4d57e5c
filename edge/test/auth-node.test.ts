// The same auth flows with the app under Node: app.request(path, init, env). Under Node the
// app's requests share the process-wide Postgres pool (createDb), closed in afterAll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { Redis } from '@upstash/redis';
import { closeSharedDbs, createNodeDb, users, type NodeDb } from '@huddle/db';
import { redisKeys } from '@huddle/protocol';
import { createApp } from '../src/app.ts';
import type { EdgeBindings } from '../src/env.ts';
import { LOGIN_LIMITS } from '../src/services/auth.ts';
import { hashPassword } from '../src/services/passwords.ts';
import { remainingHits } from '../src/services/rate-limit.ts';
import { testSecrets } from './harness.ts';
import { authHeaders, newUserInput, postJson, testClientIp, type TestUser } from './users-helper.ts';

const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';
const env: EdgeBindings = {
  DATABASE_URL: databaseUrl,
  UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
  ...testSecrets,
  LOG_LEVEL: 'warn',
};
const app = createApp();
/** Sends through the app; a random client IP unless the test sets one (rate limits are per IP). */
const call = (path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has('x-forwarded-for') && !headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', testClientIp());
  return app.request(path, { ...init, headers }, env);
};
let pg: NodeDb;
const redis = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });

beforeAll(() => {
  pg = createNodeDb(databaseUrl, { shared: false, max: 2 });
});
afterAll(async () => {
  await pg?.close();
  await closeSharedDbs();
});

interface Pair {
  accessToken: string;
  refreshToken: string;
  user: TestUser;
}

describe('auth under Node', () => {
  it('register → login by email → /users/me → refresh → logout', async () => {
    const input = newUserInput();
    const registered = await call('/api/v1/auth/register', postJson(input));
    expect(registered.status).toBe(201);
    const user = (await registered.json()) as TestUser;

    const duplicate = await call('/api/v1/auth/register', postJson({ ...newUserInput(), username: input.username.toUpperCase() }));
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ error: { code: 'username_taken' } });

    const loggedIn = await call('/api/v1/auth/login', postJson({ login: input.email.toUpperCase(), password: input.password }));
    expect(loggedIn.status).toBe(200);
    const pair = (await loggedIn.json()) as Pair;
    expect(pair.user).toEqual(user);

    const me = await call('/api/v1/users/me', { headers: authHeaders(pair.accessToken) });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual(user);

    const refreshed = await call('/api/v1/auth/refresh', postJson({ refreshToken: pair.refreshToken }));
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Pair;
    // Within the grace the same token gets the same pair; once it ran out, presenting it is reuse.
    const repeated = await call('/api/v1/auth/refresh', postJson({ refreshToken: pair.refreshToken }));
    expect(await repeated.json()).toMatchObject({ accessToken: next.accessToken, refreshToken: next.refreshToken });
    await redis.hset(redisKeys.session(pair.refreshToken.split('.')[0]!), { graceUntil: 0 });
    const reused = await call('/api/v1/auth/refresh', postJson({ refreshToken: pair.refreshToken }));
    expect(reused.status).toBe(401);
    expect(await reused.json()).toMatchObject({ error: { code: 'refresh_token_reused' } });
    expect((await call('/api/v1/users/me', { headers: authHeaders(next.accessToken) })).status).toBe(401);

    const again = (await (await call('/api/v1/auth/login', postJson({ login: input.username, password: input.password }))).json()) as Pair;
    expect((await call('/api/v1/auth/logout', { method: 'POST', headers: authHeaders(again.accessToken) })).status).toBe(204);
    expect((await call('/api/v1/users/me', { headers: authHeaders(again.accessToken) })).status).toBe(401);
  });

  it('upgrades a hash made with outdated parameters on login', async () => {
    const input = newUserInput();
    const registered = (await (await call('/api/v1/auth/register', postJson(input))).json()) as TestUser;
    const weak = await hashPassword(input.password, { N: 2 ** 10, r: 8, p: 1 });
    await pg.db.update(users).set({ passwordHash: weak }).where(eq(users.id, registered.id));

    const loggedIn = await call('/api/v1/auth/login', postJson({ login: input.username, password: input.password }));
    expect(loggedIn.status).toBe(200);
    const [row] = await pg.db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, registered.id));
    expect(row?.hash).toMatch(/^scrypt\$16384\$8\$5\$/);
  });

  it('without a runtime address (as on Workers) limits by CF-Connecting-IP and never by X-Forwarded-For', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const spoofed = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const perIp = (address: string) => ({ identifier: `login:ip:${address}`, ...LOGIN_LIMITS.perIp });
    const before = await remainingHits(redis, perIp(spoofed));
    const response = await call(
      '/api/v1/auth/login',
      postJson({ login: 'nobody-here', password: 'whatever-pass' }, { 'cf-connecting-ip': ip, 'x-forwarded-for': spoofed }),
    );
    expect(response.status).toBe(401);
    expect(await remainingHits(redis, perIp(ip))).toBe(LOGIN_LIMITS.perIp.limit - 1);
    expect(await remainingHits(redis, perIp(spoofed))).toBe(before);
  });
});

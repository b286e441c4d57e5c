import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis as TcpRedis } from 'ioredis';
import { createNodeDb, users, type NodeDb } from '@huddle/db';
import { eq } from 'drizzle-orm';
import { Redis as RestRedis } from '@upstash/redis';
import type { Redis as WorkerRedis } from '@upstash/redis/cloudflare';
import { hitRateLimits } from '../src/services/rate-limit.ts';
import { USER_LOOKUP_LIMIT } from '../src/services/user-lookup.ts';
import { startEdge, testSecrets, type EdgeUnderTest } from './harness.ts';
import { authHeaders, registerAndLogin, type SignedInUser } from './users-helper.ts';

const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';
let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: TcpRedis;
let caller: SignedInUser;
let target: SignedInUser;

beforeAll(async () => {
  edge = await startEdge({ databaseUrl: testDatabaseUrl });
  pg = createNodeDb(testDatabaseUrl, { shared: false, max: 2 });
  redis = new TcpRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  [caller, target] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge, { fullName: 'Grace Hopper' })]);
});
afterAll(async () => {
  await edge?.close();
  await pg?.close();
  redis?.disconnect();
});

const lookup = (login: string, token = caller.accessToken) =>
  edge.fetch(`/api/v1/users/lookup?login=${encodeURIComponent(login)}`, { headers: authHeaders(token) });

describe('GET /api/v1/users/lookup', () => {
  it('finds a user by username or by email, in any case, and never shows the email', async () => {
    for (const login of [target.user.username.toUpperCase(), ` ${target.user.email.toUpperCase()} `]) {
      const response = await lookup(login);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: target.user.id, username: target.user.username, fullName: 'Grace Hopper' });
    }
  });

  it('answers 404 user_not_found for unknown and for disabled users', async () => {
    const unknown = await lookup('nobody-by-this-name');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('user_not_found');
    const disabled = await registerAndLogin(edge);
    await pg.db.update(users).set({ status: 'disabled' }).where(eq(users.id, disabled.user.id));
    const response = await lookup(disabled.user.username);
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('user_not_found');
  });

  it('refuses anonymous callers and bad input', async () => {
    expect((await edge.fetch(`/api/v1/users/lookup?login=${target.user.username}`)).status).toBe(401);
    const missing = await edge.fetch('/api/v1/users/lookup', { headers: authHeaders(caller.accessToken) });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.code).toBe('validation_failed');
    expect((await lookup('x'.repeat(300))).status).toBe(400);
  });

  it('rate-limits look-ups per caller with Retry-After', async () => {
    const busy = await registerAndLogin(edge);
    // Use up the caller's window through the limiter the service uses, then ask once more.
    const rest = new RestRedis({
      url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
      token: testSecrets.UPSTASH_REDIS_REST_TOKEN,
    }) as unknown as WorkerRedis;
    const limit = { identifier: `user-lookup:user:${busy.user.id}`, ...USER_LOOKUP_LIMIT };
    for (let i = 0; i < USER_LOOKUP_LIMIT.limit; i++) await hitRateLimits(rest, [limit]);
    const response = await lookup(target.user.username, busy.accessToken);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another caller is not affected.
    expect((await lookup(target.user.username)).status).toBe(200);
  });

  it('is in the OpenAPI document with its 404 and 429', async () => {
    const doc = (await (await edge.fetch('/api/v1/openapi.json')).json()) as { paths: Record<string, { get?: { responses: object } }> };
    expect(Object.keys(doc.paths['/api/v1/users/lookup']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404', '429']));
  });
});

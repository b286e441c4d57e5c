import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Redis } from '@upstash/redis';
import { users, type NodeDb } from '@huddle/db';
import { redisKeys, type SessionEvent } from '@huddle/protocol';
import type { EdgeUnderTest } from './harness.ts';
import { closeAuthSuite, openAuthSuite } from './auth-fixtures.ts';
import { collectMessages } from './meetings-fixtures.ts';
import { authHeaders, postJson, registerAndLogin, testClientIp, type TestUser } from './users-helper.ts';

let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: Redis;

beforeAll(async () => {
  ({ edge, pg, redis } = await openAuthSuite());
});
afterAll(() => closeAuthSuite({ edge, pg }));

interface Pair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: TestUser;
}
const refresh = (refreshToken: unknown) => edge.fetch('/api/v1/auth/refresh', postJson({ refreshToken }));
const me = (accessToken: string) => edge.fetch('/api/v1/users/me', { headers: authHeaders(accessToken) });
const sessionKeyOf = (refreshToken: string): string => redisKeys.session(refreshToken.split('.')[0] ?? '');
/** Moves the end of the session's refresh grace into the past (as if its seconds had passed). */
const expireGrace = (refreshToken: string) => redis.hset(sessionKeyOf(refreshToken), { graceUntil: Date.now() - 1 });

describe('POST /api/v1/auth/refresh', () => {
  it('returns a new pair, rotates the refresh token and keeps the session', async () => {
    const signedIn = await registerAndLogin(edge);
    const key = sessionKeyOf(signedIn.refreshToken);
    await redis.expire(key, 3_600); // shortened, to see the refresh restart the TTL

    const response = await refresh(signedIn.refreshToken);
    expect(response.status).toBe(200);
    const pair = (await response.json()) as Pair;
    expect(pair).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[\w-]{22}\.[\w-]{43}$/),
      expiresIn: 900,
      user: signedIn.user,
    });
    expect(pair.refreshToken).not.toBe(signedIn.refreshToken);
    expect(sessionKeyOf(pair.refreshToken)).toBe(key); // same session, new secret
    expect(await redis.ttl(key)).toBeGreaterThan(30 * 86_400 - 60);
    expect(await redis.hget(key, 'generation')).toBe(2);
    expect((await me(pair.accessToken)).status).toBe(200);
    expect((await me(signedIn.accessToken)).status).toBe(200); // same session: still valid until it expires

    // The new refresh token works in turn.
    const again = await refresh(pair.refreshToken);
    expect(again.status).toBe(200);
    expect(await redis.hget(key, 'generation')).toBe(3);
  });

  it('treats an already-rotated token as reuse once its grace ran out: 401 and the whole session is revoked', async () => {
    const signedIn = await registerAndLogin(edge);
    const rotated = (await (await refresh(signedIn.refreshToken)).json()) as Pair;
    expect((await me(rotated.accessToken)).status).toBe(200);
    const revocations = await collectMessages([redisKeys.sessionEvents]);
    await expireGrace(signedIn.refreshToken);

    const reuse = await refresh(signedIn.refreshToken);
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toEqual({ error: { code: 'refresh_token_reused', message: expect.any(String) } });
    expect(await redis.exists(sessionKeyOf(signedIn.refreshToken))).toBe(0);
    // Every token of the family is dead: both access tokens and the newest refresh token.
    expect((await me(rotated.accessToken)).status).toBe(401);
    expect((await me(signedIn.accessToken)).status).toBe(401);
    const newest = await refresh(rotated.refreshToken);
    expect(newest.status).toBe(401);
    expect(await newest.json()).toMatchObject({ error: { code: 'invalid_refresh_token' } });
    // Media nodes are told, so the session's sockets close at once.
    const sessionId = signedIn.refreshToken.split('.')[0];
    await revocations.waitFor((messages) => messages.some((m) => (m.payload as { sessionId?: string }).sessionId === sessionId));
    expect(revocations.messages.find((m) => (m.payload as { sessionId?: string }).sessionId === sessionId)?.payload).toEqual({
      type: 'session.revoked',
      sessionId,
      userId: signedIn.user.id,
      reason: 'refresh_token_reused',
      at: expect.any(String),
    });
    await revocations.close();
  });

  // Issue 12, case 6: two tabs refreshing at once must not log the user out.
  it('gives six parallel refreshes with one token the same new pair, and keeps the session', async () => {
    const signedIn = await registerAndLogin(edge);
    const key = sessionKeyOf(signedIn.refreshToken);
    const responses = await Promise.all(Array.from({ length: 6 }, () => refresh(signedIn.refreshToken)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const pairs = (await Promise.all(responses.map((r) => r.json()))) as Pair[];
    for (const pair of pairs) {
      expect(pair.refreshToken).toBe(pairs[0]!.refreshToken);
      expect(pair.accessToken).toBe(pairs[0]!.accessToken);
      expect(pair.expiresIn).toBeGreaterThan(880);
    }
    expect(await redis.hget(key, 'generation')).toBe(2); // one rotation, not six
    expect((await me(pairs[0]!.accessToken)).status).toBe(200);
    // The new pair works in turn; the old token, presented again after that, is reuse.
    const next = await refresh(pairs[0]!.refreshToken);
    expect(next.status).toBe(200);
    const stale = await refresh(signedIn.refreshToken);
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: 'refresh_token_reused' } });
    expect(await redis.exists(key)).toBe(0);
  });

  it('ends the grace after REFRESH_REUSE_GRACE_SECONDS (10 by default): then the old token revokes the session', async () => {
    const signedIn = await registerAndLogin(edge);
    const first = (await (await refresh(signedIn.refreshToken)).json()) as Pair;
    const graceUntil = Number(await redis.hget(sessionKeyOf(signedIn.refreshToken), 'graceUntil'));
    expect(graceUntil - Date.now()).toBeGreaterThan(5_000);
    expect(graceUntil - Date.now()).toBeLessThanOrEqual(10_000);
    await expireGrace(signedIn.refreshToken);
    const late = await refresh(signedIn.refreshToken);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ error: { code: 'refresh_token_reused' } });
    expect((await me(first.accessToken)).status).toBe(401);
  });

  it('answers 401 invalid_refresh_token for garbage, unknown sessions and secrets it never issued', async () => {
    const signedIn = await registerAndLogin(edge);
    const [sid] = signedIn.refreshToken.split('.');
    const neverIssued = `${sid}.${'A'.repeat(43)}`;
    const unknownSession = `${'B'.repeat(22)}.${'C'.repeat(43)}`;
    for (const token of ['garbage', `${signedIn.refreshToken}.x`, unknownSession, neverIssued, signedIn.accessToken]) {
      const response = await refresh(token);
      expect(response.status, token).toBe(401);
      expect(await response.json(), token).toEqual({ error: { code: 'invalid_refresh_token', message: expect.any(String) } });
    }
    // A wrong secret is not proof of theft (the session id is visible in access tokens): the session lives on.
    expect((await me(signedIn.accessToken)).status).toBe(200);
    expect((await refresh(signedIn.refreshToken)).status).toBe(200);
  });

  it('validates the body (400) and rejects expired sessions and disabled users (401)', async () => {
    const missing = await edge.fetch('/api/v1/auth/refresh', postJson({}));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'validation_failed', details: [{ path: 'body.refreshToken' }] } });
    expect((await refresh(12)).status).toBe(400);

    const expiring = await registerAndLogin(edge);
    await redis.pexpire(sessionKeyOf(expiring.refreshToken), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await refresh(expiring.refreshToken)).status).toBe(401);
    expect((await me(expiring.accessToken)).status).toBe(401);

    const disabled = await registerAndLogin(edge);
    await pg.db.update(users).set({ status: 'disabled' }).where(sql`${users.id} = ${disabled.user.id}`);
    const response = await refresh(disabled.refreshToken);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_refresh_token' } });
    expect(await redis.exists(sessionKeyOf(disabled.refreshToken))).toBe(0);
  });

  it('logout of one session leaves the user’s other sessions alone', async () => {
    const first = await registerAndLogin(edge);
    const second = (await (
      await edge.fetch('/api/v1/auth/login', postJson({ login: first.user.email, password: first.password }, { 'cf-connecting-ip': testClientIp() }))
    ).json()) as Pair;
    const revocations = await collectMessages([redisKeys.sessionEvents]);
    expect((await edge.fetch('/api/v1/auth/logout', { method: 'POST', headers: authHeaders(first.accessToken) })).status).toBe(204);
    expect((await me(first.accessToken)).status).toBe(401);
    const sessionId = first.refreshToken.split('.')[0];
    await revocations.waitFor((messages) =>
      messages.some((m) => {
        const event = m.payload as SessionEvent;
        return event.type === 'session.revoked' && event.sessionId === sessionId && event.userId === first.user.id && event.reason === 'logout';
      }),
    );
    await revocations.close();
    expect((await me(second.accessToken)).status).toBe(200);
    expect((await refresh(second.refreshToken)).status).toBe(200);
  });
});

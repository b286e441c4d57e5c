import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import type { Redis } from '@upstash/redis';
import { users, type NodeDb } from '@huddle/db';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, redisKeys } from '@huddle/protocol';
import { testSecrets, type EdgeUnderTest } from './harness.ts';
import { closeAuthSuite, openAuthSuite } from './auth-fixtures.ts';
import {
  authHeaders,
  newUserInput,
  postJson,
  randomSuffix,
  registerAndLogin,
  testClientIp,
  type TestUser,
} from './users-helper.ts';

let edge: EdgeUnderTest;
let pg: NodeDb;
let redis: Redis;

beforeAll(async () => {
  ({ edge, pg, redis } = await openAuthSuite());
});
afterAll(() => closeAuthSuite({ edge, pg }));

/** POST from a fresh random client IP, so rate limits of other tests never interfere. */
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  edge.fetch(path, postJson(body, { 'cf-connecting-ip': testClientIp(), ...headers }));

async function usersNamed(...names: string[]): Promise<{ username: string; email: string; passwordHash: string }[]> {
  return pg.db
    .select({ username: users.username, email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(sql`lower(${users.username}) in ${names.map((n) => n.toLowerCase())}`);
}
async function usersWithEmail(email: string): Promise<number> {
  const rows = await pg.db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${email})`);
  return rows.length;
}
const sessionIdOf = (token: string): string => {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sid: string };
  return payload.sid;
};

describe('POST /api/v1/auth/register', () => {
  it('creates a user (201) and stores an scrypt hash, never the password', async () => {
    const input = newUserInput({ fullName: '  Ada Lovelace ' });
    const response = await post('/api/v1/auth/register', input);
    expect(response.status).toBe(201);
    const user = (await response.json()) as TestUser;
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: input.username,
      email: input.email,
      fullName: 'Ada Lovelace',
      status: 'active',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(Object.keys(user)).not.toContain('passwordHash');
    const [row] = await usersNamed(input.username);
    expect(row?.passwordHash).toMatch(/^scrypt\$16384\$8\$5\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(row?.passwordHash).not.toContain(input.password);
  });

  it('keeps the email as given, fullName optional (null)', async () => {
    const input = newUserInput({ email: `Mixed.${randomSuffix()}@Example.TEST`, fullName: null });
    const response = await post('/api/v1/auth/register', input);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ email: input.email, fullName: null });
  });

  it('answers 409 username_taken for a case variant of a taken username, and writes no second row', async () => {
    const first = newUserInput();
    expect((await post('/api/v1/auth/register', first)).status).toBe(201);
    const clash = newUserInput({ username: first.username.toUpperCase() });
    const response = await post('/api/v1/auth/register', clash);
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: 'username_taken', message: expect.any(String), details: { field: 'username' } },
    });
    expect(await usersNamed(first.username)).toHaveLength(1);
    expect(await usersWithEmail(clash.email)).toBe(1); // only the first user's (same lower-case address)
  });

  it('answers 409 email_taken for a case variant of a taken email, and writes no second row', async () => {
    const first = newUserInput();
    expect((await post('/api/v1/auth/register', first)).status).toBe(201);
    const clash = newUserInput({ email: first.email.toUpperCase() });
    const response = await post('/api/v1/auth/register', clash);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'email_taken', details: { field: 'email' } } });
    expect(await usersWithEmail(first.email)).toBe(1);
    expect(await usersNamed(clash.username)).toHaveLength(0);
  });

  it('lists every failing field (400) and writes nothing', async () => {
    const username = `bad name ${randomSuffix()}`;
    const response = await post('/api/v1/auth/register', {
      username,
      email: 'not-an-email',
      password: 'short',
      fullName: 'x'.repeat(101),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.map((d) => d.path).sort()).toEqual(
      ['body.email', 'body.fullName', 'body.password', 'body.username'],
    );
    expect(await usersNamed(username)).toHaveLength(0);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(33)],
    ['a space', 'with space'],
    ['an @', 'at@sign'],
  ])('rejects a username with %s', async (_, username) => {
    const response = await post('/api/v1/auth/register', newUserInput({ username, email: `${randomSuffix()}@example.test` }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { details: [{ path: 'body.username' }] } });
  });

  it('rejects weak and oversized passwords, malformed JSON, wrong types and non-JSON bodies', async () => {
    for (const password of ['password123', 'aaaaaaaaaaaa', `${randomSuffix(8)}`.repeat(9)]) {
      const response = await post('/api/v1/auth/register', newUserInput({ password }));
      expect(response.status, password).toBe(400);
      expect(await response.json()).toMatchObject({ error: { details: [{ path: 'body.password' }] } });
    }
    const input = newUserInput();
    const sameAsName = await post('/api/v1/auth/register', { ...input, password: `${input.username}`.toUpperCase() });
    expect(sameAsName.status).toBe(400);
    expect(await usersNamed(input.username)).toHaveLength(0);
    const malformed = await edge.fetch('/api/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
    const wrongTypes = await post('/api/v1/auth/register', { username: 1, email: [], password: { a: 1 } });
    expect(wrongTypes.status).toBe(400);
    expect(await wrongTypes.json()).toMatchObject({ error: { code: 'validation_failed' } });
    const notJson = await edge.fetch('/api/v1/auth/register', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(notJson.status).toBe(415);
  });
});

describe('POST /api/v1/auth/login', () => {
  it('signs in by username and by email, ignoring case', async () => {
    const input = newUserInput({ username: `Case_${randomSuffix()}` });
    expect((await post('/api/v1/auth/register', input)).status).toBe(201);
    for (const login of [input.username, input.username.toLowerCase(), input.email.toUpperCase()]) {
      const response = await post('/api/v1/auth/login', { login, password: input.password });
      expect(response.status, login).toBe(200);
      const body = (await response.json()) as { accessToken: string; refreshToken: string; expiresIn: number; user: TestUser };
      expect(body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refreshToken: expect.stringMatching(/^[\w-]{22}\.[\w-]{43}$/),
        expiresIn: 900,
        user: expect.objectContaining({ username: input.username, email: input.email }),
      });
      expect(await redis.exists(redisKeys.session(sessionIdOf(body.accessToken)))).toBe(1);
      const ttl = await redis.ttl(redisKeys.session(sessionIdOf(body.accessToken)));
      expect(ttl).toBeGreaterThan(30 * 86_400 - 60);
    }
  });

  it('gives the same 401 for a wrong password, an unknown user and a disabled user', async () => {
    const { user } = await registerAndLogin(edge);
    const disabled = await registerAndLogin(edge);
    await pg.db.update(users).set({ status: 'disabled' }).where(sql`${users.id} = ${disabled.user.id}`);

    const wrong = await post('/api/v1/auth/login', { login: user.username, password: 'wrong-password-1' });
    const unknown = await post('/api/v1/auth/login', { login: `nobody_${randomSuffix()}`, password: 'wrong-password-1' });
    const off = await post('/api/v1/auth/login', { login: disabled.user.username, password: disabled.password });
    const bodies = await Promise.all([wrong, unknown, off].map((r) => r.json()));
    expect([wrong.status, unknown.status, off.status]).toEqual([401, 401, 401]);
    expect(bodies[0]).toEqual({ error: { code: 'invalid_credentials', message: expect.any(String) } });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('validates the body (400)', async () => {
    const response = await post('/api/v1/auth/login', { login: '', password: '' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['body.login', 'body.password']);
  });
});

describe('access tokens, /users/me and logout', () => {
  it('GET /users/me returns the caller', async () => {
    const signedIn = await registerAndLogin(edge);
    const response = await edge.fetch('/api/v1/users/me', { headers: authHeaders(signedIn.accessToken) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(signedIn.user);
  });

  it('rejects a missing, garbage, forged or expired access token (401)', async () => {
    const signedIn = await registerAndLogin(edge);
    const sid = sessionIdOf(signedIn.accessToken);
    const sign = (secret: string, exp: number) =>
      new SignJWT({ sid, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(signedIn.user.id)
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setIssuedAt(exp - 900)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const forged = await sign('another-secret-0123456789abcdef0123456789', now + 600);
    const expired = await sign(testSecrets.JWT_SECRET, now - 60);
    const valid = await sign(testSecrets.JWT_SECRET, now + 600);
    const [header, payload] = signedIn.accessToken.split('.');
    const tampered = `${header}.${payload}.${'A'.repeat(43)}`;

    const missing = await edge.fetch('/api/v1/users/me');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized' } });
    for (const [name, token] of [['garbage', 'not.a.jwt'], ['forged', forged], ['expired', expired], ['tampered', tampered]] as const) {
      const response = await edge.fetch('/api/v1/users/me', { headers: authHeaders(token) });
      expect(response.status, name).toBe(401);
      expect(await response.json(), name).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const basic = await edge.fetch('/api/v1/users/me', { headers: { authorization: `Basic ${btoa('a:b')}` } });
    expect(basic.status).toBe(401);
    // Sanity: a token signed with the right secret for a live session is accepted.
    expect((await edge.fetch('/api/v1/users/me', { headers: authHeaders(valid) })).status).toBe(200);
  });

  it('logout answers 204, deletes the session, and the same access token is refused right after', async () => {
    const signedIn = await registerAndLogin(edge);
    const sid = sessionIdOf(signedIn.accessToken);
    const response = await edge.fetch('/api/v1/auth/logout', { method: 'POST', headers: authHeaders(signedIn.accessToken) });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(await redis.exists(redisKeys.session(sid))).toBe(0);
    const after = await edge.fetch('/api/v1/users/me', { headers: authHeaders(signedIn.accessToken) });
    expect(after.status).toBe(401);
    const refresh = await post('/api/v1/auth/refresh', { refreshToken: signedIn.refreshToken });
    expect(refresh.status).toBe(401);
    expect(await refresh.json()).toMatchObject({ error: { code: 'invalid_refresh_token' } });
    expect((await edge.fetch('/api/v1/auth/logout', { method: 'POST', headers: authHeaders(signedIn.accessToken) })).status).toBe(401);
  });

  it('a disabled account is refused by /users/me', async () => {
    const signedIn = await registerAndLogin(edge);
    await pg.db.update(users).set({ status: 'disabled' }).where(sql`${users.id} = ${signedIn.user.id}`);
    expect((await edge.fetch('/api/v1/users/me', { headers: authHeaders(signedIn.accessToken) })).status).toBe(401);
  });
});

describe('timing and OpenAPI', () => {
  it('spends about as long on an unknown user as on a wrong password (both run one hash)', async () => {
    const { user } = await registerAndLogin(edge);
    const timeLogin = async (login: string): Promise<number> => {
      const started = performance.now();
      const response = await post('/api/v1/auth/login', { login, password: 'wrong-password-1' });
      expect(response.status).toBe(401);
      await response.arrayBuffer();
      return performance.now() - started;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      // Interleaved, so load from other processes hits both series alike.
      wrong.push(await timeLogin(user.username));
      unknown.push(await timeLogin(`nobody_${randomSuffix()}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const ratio = median(unknown) / median(wrong);
    expect(ratio, `unknown ${unknown.map(Math.round)} ms vs wrong ${wrong.map(Math.round)} ms`).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1 / 0.6);
  });

  it('declares every auth route with its statuses, and bearer security where auth is needed', async () => {
    const doc = (await (await edge.fetch('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
    expect(statuses('/api/v1/auth/register', 'post')).toEqual(['201', '400', '409', '413', '415', '429', '503']);
    expect(statuses('/api/v1/auth/login', 'post')).toEqual(['200', '400', '401', '413', '415', '429', '503']);
    expect(statuses('/api/v1/auth/refresh', 'post')).toEqual(['200', '400', '401', '413', '415', '503']);
    expect(statuses('/api/v1/auth/logout', 'post')).toEqual(['204', '401', '413', '415', '503']);
    expect(statuses('/api/v1/users/me', 'get')).toEqual(['200', '401', '503']);
    expect(doc.paths['/api/v1/auth/logout']?.post?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/users/me']?.get?.security).toEqual([{ bearer: [] }]);
    for (const [path, method] of [['/api/v1/auth/register', 'post'], ['/api/v1/auth/login', 'post'], ['/api/v1/auth/refresh', 'post']] as const) {
      expect(doc.paths[path]?.[method]?.security, path).toBeUndefined();
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

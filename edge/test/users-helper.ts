import { randomBytes } from 'node:crypto';
import type { EdgeUnderTest } from './harness.ts';

/** A user as the API returns it. */
export interface TestUser {
  id: string;
  username: string;
  email: string;
  fullName: string | null;
  status: 'active' | 'disabled';
  createdAt: string;
}

/** What registerAndLogin gives back. */
export interface SignedInUser {
  user: TestUser;
  accessToken: string;
  refreshToken: string;
  /** The plain password, for tests that log in again. */
  password: string;
}

/** Fields of the register body a test may fix; the rest are random and unique. */
export interface UserOverrides {
  username?: string;
  email?: string;
  password?: string;
  fullName?: string | null;
}

/** A short random lower-case hex string, for unique names. */
export const randomSuffix = (bytes = 6): string => randomBytes(bytes).toString('hex');

/**
 * A random client address (IPv6 documentation range, random /64) for the
 * `CF-Connecting-IP` header. The edge rate-limits register and login per IP; test
 * files run in parallel, so each caller should look like a different client.
 */
export const testClientIp = (): string => {
  const [a, b] = [randomBytes(2).toString('hex'), randomBytes(2).toString('hex')];
  return `2001:db8:${a}:${b}::1`;
};

/** Headers of an authenticated JSON request. */
export function authHeaders(token: string): { authorization: string; 'content-type': string } {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/** A POST with a JSON body (and optional extra headers). */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Random register input: `t_<hex>` username, `<username>@example.test`, a strong password. */
export function newUserInput(overrides: UserOverrides = {}): Required<Omit<UserOverrides, 'fullName'>> & { fullName?: string | null } {
  const username = overrides.username ?? `t_${randomSuffix()}`;
  return {
    username,
    email: overrides.email ?? `${username.toLowerCase()}@example.test`,
    password: overrides.password ?? `pw-${randomSuffix(8)}`,
    ...('fullName' in overrides ? { fullName: overrides.fullName } : { fullName: `Test ${username}` }),
  };
}

/**
 * Registers a fresh user with a unique username and email (POST /api/v1/auth/register)
 * and signs them in (POST /api/v1/auth/login), each from a random client IP. Throws
 * with the response body if either step fails.
 */
export async function registerAndLogin(edge: EdgeUnderTest, overrides: UserOverrides = {}): Promise<SignedInUser> {
  const input = newUserInput(overrides);
  const registered = await edge.fetch('/api/v1/auth/register', postJson(input, { 'cf-connecting-ip': testClientIp() }));
  if (registered.status !== 201) {
    throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
  }
  const loggedIn = await edge.fetch(
    '/api/v1/auth/login',
    postJson({ login: input.username, password: input.password }, { 'cf-connecting-ip': testClientIp() }),
  );
  if (loggedIn.status !== 200) {
    throw new Error(`login failed: ${loggedIn.status} ${await loggedIn.text()}`);
  }
  const body = (await loggedIn.json()) as { accessToken: string; refreshToken: string; user: TestUser };
  return { user: body.user, accessToken: body.accessToken, refreshToken: body.refreshToken, password: input.password };
}

/**
 * Waits, if needed, so that at least `needMs` remain in the current window of a
 * `windowSeconds` sliding-window rate limit: a burst that straddles two windows is
 * weighed partly against the previous one (that is what a sliding window does), so an
 * exact "attempt #N is refused" would otherwise depend on the clock.
 */
export async function roomInWindow(windowSeconds: number, needMs: number): Promise<void> {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

import type { User } from '@huddle/db';
import type { RequestDeps } from '../env.ts';
import { ApiError } from '../lib/api-error.ts';
import { signAccessToken } from './access-tokens.ts';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { hitRateLimits, refundRateLimit, type RateLimit } from './rate-limit.ts';
import {
  formatRefreshToken,
  hashRefreshSecret,
  newRefreshSecret,
  newSessionId,
  nextRefreshSecret,
  parseRefreshToken,
  sha256Hex,
} from './refresh-tokens.ts';
import { announceSessionRevoked, createSession, revokeSession, rotateSession } from './sessions.ts';
import { findUserById, findUserByLogin, insertUser, toPublicUser, updatePasswordHash, type PublicUser } from './users.ts';

/**
 * Login limits (sliding windows). Per IP: every attempt counts (slows credential
 * stuffing from one address). Per account (the lowercased login): every attempt is
 * counted before the password is checked — so parallel guesses cannot slip past the
 * limit — and a successful one is given back, so the limit counts failures. Username
 * and email of one account are counted separately.
 */
export const LOGIN_LIMITS = {
  perIp: { limit: 30, windowSeconds: 60 },
  perAccount: { limit: 10, windowSeconds: 15 * 60 },
} as const;

/** Registrations per IP: each one costs a password hash (~0.25 s of CPU). */
export const REGISTER_LIMITS = {
  perIp: { limit: 20, windowSeconds: 10 * 60 },
} as const;

/** Body of login and refresh responses. */
export interface TokenPair {
  accessToken: string;
  /** Opaque; rotates on every refresh. */
  refreshToken: string;
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
  user: PublicUser;
}

const invalidCredentials = (): ApiError =>
  new ApiError(401, 'invalid_credentials', 'Wrong username, email or password.');
const invalidRefreshToken = (): ApiError =>
  new ApiError(401, 'invalid_refresh_token', 'The refresh token is not valid (expired, revoked or malformed). Log in again.');
const refreshTokenReused = (): ApiError =>
  new ApiError(401, 'refresh_token_reused', 'This refresh token was already used; the session has been revoked. Log in again.');

/** Creates an account; 409 `username_taken` / `email_taken` on a case-insensitive clash. */
export async function register(
  deps: RequestDeps,
  input: { username: string; email: string; password: string; fullName?: string | null | undefined; clientIp: string },
): Promise<PublicUser> {
  await hitRateLimits(deps.redis, [{ identifier: `register:ip:${input.clientIp}`, ...REGISTER_LIMITS.perIp }]);
  const passwordHash = await hashPassword(input.password);
  const user = await insertUser(deps.db().db, {
    username: input.username,
    email: input.email,
    passwordHash,
    fullName: input.fullName ?? null,
  });
  return toPublicUser(user);
}

/**
 * Checks a username-or-email and password and starts a session. Unknown account,
 * wrong password and disabled account give the same 401 after the same work (a
 * password hash), so neither the answer nor its timing tells which it was.
 */
export async function login(
  deps: RequestDeps,
  input: { login: string; password: string; clientIp: string },
): Promise<TokenPair> {
  // Hashed so that emails do not appear in Redis key names.
  const accountLimit: RateLimit = {
    identifier: `login:account:${await sha256Hex(input.login.toLowerCase())}`,
    ...LOGIN_LIMITS.perAccount,
  };
  await hitRateLimits(deps.redis, [{ identifier: `login:ip:${input.clientIp}`, ...LOGIN_LIMITS.perIp }, accountLimit]);
  const { db } = deps.db();
  const user = await findUserByLogin(db, input.login);
  if (!user) {
    await verifyAgainstDummy(input.password);
    throw invalidCredentials();
  }
  const check = await verifyPassword(input.password, user.passwordHash);
  if (!check.ok || user.status !== 'active') throw invalidCredentials();

  await refundRateLimit(deps.redis, accountLimit);
  if (check.needsRehash) await updatePasswordHash(db, user.id, await hashPassword(input.password));
  return startSession(deps, user);
}

async function startSession(deps: RequestDeps, user: User): Promise<TokenPair> {
  const sessionId = newSessionId();
  const secret = newRefreshSecret();
  await createSession(deps.redis, {
    sessionId,
    userId: user.id,
    tokenHash: await hashRefreshSecret(secret),
    ttlSeconds: deps.config.refreshTokenTtlSeconds,
  });
  return issuePair(deps, user, sessionId, secret);
}

/** An access token for the session (issued at `issuedAtSeconds`, default now) plus the refresh token carrying `secret`. */
async function issuePair(
  deps: RequestDeps,
  user: User,
  sessionId: string,
  secret: string,
  issuedAtSeconds?: number,
): Promise<TokenPair> {
  const access = await signAccessToken(deps.config, { userId: user.id, sessionId }, issuedAtSeconds);
  return {
    accessToken: access.token,
    refreshToken: formatRefreshToken(sessionId, secret),
    expiresIn: access.expiresIn,
    user: toPublicUser(user),
  };
}

/**
 * Exchanges a refresh token for a new pair and rotates it. The token just rotated away,
 * presented again within config.refreshReuseGraceSeconds (two tabs refreshing at once, a
 * retried request), gets the same new pair. Any other already-rotated token revokes the
 * whole session (every access and join token of it, on every media node) and answers
 * 401 `refresh_token_reused`; an unknown, expired or malformed one is 401
 * `invalid_refresh_token`.
 */
export async function refresh(deps: RequestDeps, refreshToken: string): Promise<TokenPair> {
  const presented = parseRefreshToken(refreshToken);
  if (!presented) throw invalidRefreshToken();
  const { sessionId } = presented;
  const nextSecret = await nextRefreshSecret(deps.config, presented.secret);
  const result = await rotateSession(deps.redis, {
    sessionId,
    presentedHash: await hashRefreshSecret(presented.secret),
    nextHash: await hashRefreshSecret(nextSecret),
    ttlSeconds: deps.config.refreshTokenTtlSeconds,
    graceMs: deps.config.refreshReuseGraceSeconds * 1000,
  });
  if (result.status === 'reused') {
    await announceSessionRevoked(deps.redis, { sessionId, userId: result.userId, reason: 'refresh_token_reused' });
    throw refreshTokenReused();
  }
  if (result.status === 'unknown') throw invalidRefreshToken();

  const user = await findUserById(deps.db().db, result.userId);
  if (user?.status !== 'active') {
    await revokeSession(deps.redis, { sessionId, userId: result.userId, reason: 'account_disabled' });
    throw invalidRefreshToken();
  }
  // Issued at the rotation's time: a repeated refresh signs the very same access token.
  return issuePair(deps, user, sessionId, nextSecret, Math.floor(result.rotatedAtMs / 1000));
}

/** Ends the caller's session: its access, refresh and join tokens stop working at once, on every node. */
export async function logout(deps: RequestDeps, caller: { sessionId: string; userId: string }): Promise<void> {
  await revokeSession(deps.redis, { sessionId: caller.sessionId, userId: caller.userId, reason: 'logout' });
}

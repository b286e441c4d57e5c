import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  accessTokenClaimsSchema,
  type AccessTokenClaims,
} from '@huddle/protocol';
import type { EdgeConfig } from '../config.ts';
import { unauthorized } from '../lib/api-error.ts';

// Imported once per isolate and config: a raw secret would be re-imported by jose on
// every sign/verify (a CryptoKey holds no I/O, so reusing it across requests is fine).
const secretKeys = new WeakMap<EdgeConfig, Promise<CryptoKey>>();
/** The HMAC key of JWT_SECRET (access and guest tokens), imported once per config. */
export const keyOf = (config: EdgeConfig): Promise<CryptoKey> => {
  let key = secretKeys.get(config);
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(config.jwtSecret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    secretKeys.set(config, key);
  }
  return key;
};

/**
 * Signs a short-lived access token for a user's login session, issued at
 * `issuedAtSeconds` (default now). HS256 is deterministic: the same subject and issue
 * time give the same token, which is how a refresh repeated within its grace period
 * returns the very pair the first one did. `expiresIn` is what is left of its lifetime.
 */
export async function signAccessToken(
  config: EdgeConfig,
  subject: { userId: string; sessionId: string },
  issuedAtSeconds: number = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresIn: number }> {
  const expiresAt = issuedAtSeconds + config.accessTokenTtlSeconds;
  const token = await new SignJWT({ sid: subject.sessionId, typ: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject.userId)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(expiresAt)
    .sign(await keyOf(config));
  const left = expiresAt - Math.floor(Date.now() / 1000);
  return { token, expiresIn: Math.max(1, Math.min(config.accessTokenTtlSeconds, left)) };
}

/** Verifies signature, issuer, audience, expiry and claim shapes; 401 otherwise. */
export async function verifyAccessToken(config: EdgeConfig, token: string): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, await keyOf(config), {
      algorithms: ['HS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
    });
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw unauthorized('Invalid access token.');
    return claims.data;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized('Access token expired.');
    if (error instanceof joseErrors.JOSEError) throw unauthorized('Invalid access token.');
    throw error;
  }
}

/**
 * Refresh tokens are opaque to clients: `<sessionId>.<secret>`, both base64url. The
 * session id (128 bits) names the Redis session; the secret (256 bits) is stored only
 * as its SHA-256 hash and changes on every refresh.
 */

const SESSION_ID_BYTES = 16;
const SECRET_BYTES = 32;
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function randomBase64Url(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...buffer)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** A new random session id (also the `sid` claim of its access tokens). */
export const newSessionId = (): string => randomBase64Url(SESSION_ID_BYTES);

/** A new random refresh-token secret. */
export const newRefreshSecret = (): string => randomBase64Url(SECRET_BYTES);

/** The token handed to the client. */
export const formatRefreshToken = (sessionId: string, secret: string): string => `${sessionId}.${secret}`;

/** Splits a presented token, or undefined when it is not shaped like one of ours. */
export function parseRefreshToken(token: string): { sessionId: string; secret: string } | undefined {
  const [sessionId, secret, ...rest] = token.split('.');
  if (rest.length > 0 || !sessionId || !secret) return undefined;
  if (!SESSION_ID_PATTERN.test(sessionId) || !SECRET_PATTERN.test(secret)) return undefined;
  return { sessionId, secret };
}

/** SHA-256 of a string (UTF-8), as 64 hex characters. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of a refresh secret, hex: what the session stores and compares. */
export const hashRefreshSecret = (secret: string): Promise<string> => sha256Hex(secret);

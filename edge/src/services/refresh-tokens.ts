/**
 * Refresh tokens are opaque to clients: `<sessionId>.<secret>`, both base64url. The
 * session id (128 bits) names the Redis session; the secret (256 bits) is stored only
 * as its SHA-256 hash and changes on every refresh.
 */

const SESSION_ID_BYTES = 16;
const SECRET_BYTES = 32;
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const base64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

const randomBase64Url = (bytes: number): string => base64Url(crypto.getRandomValues(new Uint8Array(bytes)));

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

// The successor of a refresh secret is derived, not drawn at random: HMAC-SHA-256 keyed
// with JWT_SECRET over a fixed label and the presented secret. Two requests presenting
// the same token (two tabs refreshing at once) compute the same successor, so the one
// that loses the compare-and-swap can answer with the winner's pair within the grace
// period without the secret ever being stored. Knowing a successor requires both the
// presented secret and the server key.
const ROTATION_LABEL = 'huddle-refresh-rotation:v1:';
const rotationKeys = new WeakMap<object, Promise<CryptoKey>>();

/** The secret that `secret` rotates to (43 base64url characters, like newRefreshSecret()). */
export async function nextRefreshSecret(config: { jwtSecret: string }, secret: string): Promise<string> {
  let key = rotationKeys.get(config);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(config.jwtSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    rotationKeys.set(config, key);
  }
  return base64Url(new Uint8Array(await crypto.subtle.sign('HMAC', await key, new TextEncoder().encode(ROTATION_LABEL + secret))));
}

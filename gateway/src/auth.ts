import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Builds a checker for `Authorization: Bearer <token>` headers. Both sides are hashed
 * first so the comparison takes the same time whatever the length or content of the
 * presented token.
 */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  if (token.length === 0) throw new Error('the gateway token must not be empty');
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    const presented = digest(match?.[1] ?? '');
    // Evaluate the comparison even when the header is malformed, so timing says nothing.
    return timingSafeEqual(presented, expected) && match !== null;
  };
}

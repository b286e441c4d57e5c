// Codes of failures to reach Postgres (postgres.js connection errors, server
// shutting down or full) or the Redis REST endpoint: the service is unavailable,
// the request was not at fault.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * True when `error` (or anything in its `cause` chain — drizzle wraps driver
 * errors) says a dependency could not be reached, rather than that it refused
 * the request.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && unavailableCodes.has(code)) return true;
    // fetch() to the Redis REST endpoint failed at the network level; @upstash/redis
    // keeps only the message ("Unable to parse response body: TypeError: fetch failed").
    if (/fetch failed|Network connection lost|connection refused/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

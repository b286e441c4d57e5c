import type { ServerResponse } from 'node:http';

/** An error that maps to one HTTP status and an Upstash-style `{ "error": ... }` body. */
export class HttpError extends Error {
  readonly status: number;
  /** Extra response headers (Allow, WWW-Authenticate, ...). */
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Writes `body` as JSON with the given status. `body` may contain `JSON.rawJSON` values
 * (exact integers), which `JSON.stringify` inlines verbatim.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

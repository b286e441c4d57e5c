import type { Duplex } from 'node:stream';

/** Longest a client may take to send a whole request (headers and body), in ms. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Longest a client may take to send the request headers, in ms. */
export const HEADERS_TIMEOUT_MS = 15_000;

/** The error body of the edge (`{ error: { code, message } }`), as raw HTTP/1.1 bytes. */
function rawJsonError(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=UTF-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Node's `clientError` handler: requests the HTTP parser refuses before the app sees them
 * (malformed request line or headers, bad Content-Length, oversize headers, a client
 * too slow to send its request) get the edge's JSON error shape instead of Node's bare
 * status line. A socket that can no longer be written to is destroyed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const response =
    error.code === 'HPE_INVALID_EOF_STATE'
      ? rawJsonError(400, 'Bad Request', 'bad_request', 'The request ended before its body was complete (Content-Length).')
      : error.code === 'HPE_HEADER_OVERFLOW'
      ? rawJsonError(431, 'Request Header Fields Too Large', 'headers_too_large', 'The request headers are too large.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? rawJsonError(408, 'Request Timeout', 'request_timeout', 'The request was not received in time.')
        : rawJsonError(400, 'Bad Request', 'bad_request', 'The request is not valid HTTP.');
  socket.end(response);
}

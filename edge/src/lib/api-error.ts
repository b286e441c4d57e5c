import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** One failing input field, as listed in a 400 response. */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * An error with an HTTP status and a stable machine-readable code. Services throw
 * it; the app's error handler turns it into `{ error: { code, message, details? } }`.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: unknown;
  /** Extra response headers, e.g. Retry-After on 429. */
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string, details?: unknown): ApiError =>
  new ApiError(400, 'bad_request', message, { details });
export const validationFailed = (details: FieldIssue[]): ApiError =>
  new ApiError(400, 'validation_failed', 'The request is not valid.', { details });
export const unauthorized = (message = 'Authentication required.'): ApiError =>
  new ApiError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (message = 'Not allowed.'): ApiError => new ApiError(403, 'forbidden', message);
export const notFound = (message = 'Not found.'): ApiError => new ApiError(404, 'not_found', message);
/** 405 with `Allow: GET, HEAD, …` (RFC 9110 §15.5.6): the path exists, the method does not. */
export const methodNotAllowed = (method: string, allowed: readonly string[]): ApiError =>
  new ApiError(405, 'method_not_allowed', `${method} is not supported here; use ${allowed.join(', ')}.`, {
    headers: { Allow: allowed.join(', ') },
  });
export const conflict = (code: string, message: string, details?: unknown): ApiError =>
  new ApiError(409, code, message, { details });
export const tooManyRequests = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, 'rate_limited', 'Too many requests; retry later.', {
    details: { retryAfterSeconds },
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
export const unavailable = (code: string, message: string): ApiError => new ApiError(503, code, message);

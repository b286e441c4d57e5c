import { OpenAPIHono, type z } from '@hono/zod-openapi';
import { errorBodySchema, methodNotAllowedResponse as sharedMethodNotAllowed, type OpenApiHeader } from '@huddle/protocol';
import type { AppEnv } from '../env.ts';
import { validationHook } from './validation.ts';

/** A router whose routes validate with zod and report failures as 400 JSON. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The JSON error body every failing response carries (`Error` in the document). */
export const errorSchema = errorBodySchema;

type HeaderObject = OpenApiHeader;

/** `X-Request-Id`: set on every response by the requestId middleware (also in the logs). */
const requestIdHeader: HeaderObject = {
  description: 'Id of this request, as logged (send your own X-Request-Id to choose it)',
  required: true,
  schema: { type: 'string' },
};

/** Retry-After in whole seconds, at least 1 (ApiError tooManyRequests, no_media_node). */
const retryAfterHeader = (required: boolean): HeaderObject => ({
  description: 'Seconds to wait before retrying',
  required,
  schema: { type: 'integer', minimum: 1 },
});

/** Headers of a response: always X-Request-Id, plus `extra`. */
function responseHeaders(extra: Record<string, HeaderObject> = {}): Record<string, HeaderObject> {
  return { 'X-Request-Id': requestIdHeader, ...extra };
}

/** `content` for a JSON request body. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** A JSON response entry (with the X-Request-Id header every response carries). */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { ...jsonContent(schema, description), headers: responseHeaders() };
}

/** A response entry without a body (204). */
export function emptyResponse(description: string) {
  return { description, headers: responseHeaders() };
}

/** The error statuses a route may list. 405 is not among them: see `methodNotAllowedResponse`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

const errorDescriptions: Record<ErrorStatus, string> = {
  400: 'Invalid input: malformed JSON, or failing fields (`validation_failed` with `details: [{ path, message }]`)',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Not allowed for this caller',
  404: 'Not found (or not visible to this caller)',
  409: 'Conflicts with the current state',
  413: 'Body larger than 1 MiB (`payload_too_large`)',
  415: 'A body that is not `application/json` (`unsupported_media_type`)',
  429: 'Rate limited (`rate_limited`, `details.retryAfterSeconds`); retry after `Retry-After` seconds',
  503: 'A dependency is unavailable or the edge is misconfigured; retry shortly',
};

const errorHeaders: Partial<Record<ErrorStatus, Record<string, HeaderObject>>> = {
  401: {
    'WWW-Authenticate': {
      description: 'Bearer, on a missing or unusable access token',
      required: false,
      schema: { type: 'string' },
    },
  },
  429: { 'Retry-After': retryAfterHeader(true) },
  503: { 'Retry-After': retryAfterHeader(false) },
};

/** Response entries for the error statuses a route can return (JSON error body, headers). */
export function errorResponses(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { ...jsonContent(errorSchema, errorDescriptions[status]), headers: responseHeaders(errorHeaders[status]) },
    ]),
  );
}

/** The 405 every path answers for a method it lacks (middleware/allowed-methods.ts), with X-Request-Id. */
export const methodNotAllowedResponse = sharedMethodNotAllowed(responseHeaders());

import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { validationHook } from './validation.ts';

/** A router whose routes validate with zod and report failures as 400 JSON. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The JSON error body every failing response carries. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

/** `content` for a JSON request or response body. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** Response entries for the error statuses a route can return. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503)[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid input (malformed JSON or failing fields)',
    401: 'Missing, invalid or revoked credentials',
    403: 'Not allowed for this caller',
    404: 'Not found (or not visible to this caller)',
    409: 'Conflicts with the current state',
    413: 'Body larger than 1 MiB',
    415: 'Body is not application/json',
    429: 'Rate limited; see Retry-After',
    503: 'A dependency is unavailable',
  };
  return Object.fromEntries(statuses.map((s) => [s, jsonContent(errorSchema, descriptions[s] ?? 'Error')]));
}

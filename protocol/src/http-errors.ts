import { z } from 'zod';

/**
 * The JSON body of every error response of the edge and the media node:
 * `{ "error": { "code", "message", "details"? } }` — `code` is stable and machine-readable
 * (`validation_failed`, `not_found`, …), `details` depends on the code. Named `Error` in
 * the OpenAPI documents.
 */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'validation_failed' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBodySchema>;

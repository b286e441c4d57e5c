import type { OpenAPIHono } from '@hono/zod-openapi';
import { finishDocument } from '@huddle/protocol';
import type { AppEnv } from '../env.ts';
import { methodNotAllowedResponse } from './openapi.ts';

const description = `
The edge API of Huddle: accounts, meetings, join tokens and AI task intake.

Rules that hold for every operation:
- Errors are JSON \`{ "error": { "code", "message", "details"? } }\` and every response carries \`X-Request-Id\`.
- A method a path does not have answers **405** \`method_not_allowed\` with an \`Allow\` header
  (components/responses/MethodNotAllowed); \`OPTIONS\` answers 204 (with \`Allow\`, or CORS headers on /api).
- Request bodies are JSON (415 otherwise) of at most 1 MiB (413). Unknown body fields are ignored.
- No input string or free-form object key may contain U+0000 (400).
- String lengths count Unicode code points (an emoji is one character), as JSON Schema does.
- 429 responses carry \`Retry-After\` (seconds); each operation says which limits apply.
- 503 means a dependency (PostgreSQL, Redis) is unreachable or the edge is misconfigured; retry shortly.
`.trim();

/**
 * The edge's OpenAPI 3.1 document: generated from the routes' zod declarations, with the
 * input rules the generator leaves out (completeInputSchemas), the bearer scheme and the
 * 405 response every path shares. Build it once every route is registered.
 */
export function edgeOpenApiDocument(app: OpenAPIHono<AppEnv>): object {
  return finishDocument(
    app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Huddle edge API', version: '1.0.0', description } }),
    {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      responses: { MethodNotAllowed: methodNotAllowedResponse },
    },
  );
}

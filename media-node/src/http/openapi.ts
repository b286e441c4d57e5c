import { OpenAPIHono, type z } from '@hono/zod-openapi';
import { errorBodySchema, finishDocument, methodNotAllowedResponse } from '@huddle/protocol';

/** Body of the media node's error responses. */
export const errorBody = (code: string, message: string, details?: unknown) => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

/**
 * A router whose routes validate with zod: a path parameter that fails (a meeting id that
 * is not a UUID names no meeting) is 404 `not_found`, a query that fails is 400
 * `validation_failed` with `details: [{ field, message }]`.
 */
export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      if (result.target === 'param') return c.json(errorBody('not_found', 'No such meeting.'), 404);
      const details = result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
      return c.json(errorBody('validation_failed', 'Invalid query.', details), 400);
    },
  });
}

/** A JSON response entry. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

const errorDescriptions = {
  400: 'Invalid query (`validation_failed`, `details: [{ field, message }]`)',
  401: 'Missing, invalid, expired or revoked token or signature (`unauthorized`)',
  403: 'A join token for another meeting (`forbidden`)',
  404: 'No such meeting, not a UUID, or not visible to this caller (`not_found`)',
  413: 'Body too large (`payload_too_large`)',
} as const;

type ErrorResponse = ReturnType<typeof jsonResponse<typeof errorBodySchema>>;

/** Response entries for the error statuses a route can return (typed, so handlers may return them). */
export function errorResponses<S extends keyof typeof errorDescriptions>(...statuses: S[]): Record<S, ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, jsonResponse(errorBodySchema, errorDescriptions[s])])) as Record<S, ErrorResponse>;
}

const description = `
HTTP endpoints of a Huddle media node: liveness, readiness, Prometheus metrics, and the chat
and AI-result history of a meeting for clients that are not connected.

- Errors are JSON \`{ "error": { "code", "message", "details"? } }\`.
- A method a path does not have answers **405** \`method_not_allowed\` with an \`Allow\` header
  (components/responses/MethodNotAllowed); \`OPTIONS\` answers 204 with \`Allow\`.
- \`POST /webhooks/livekit\` takes LiveKit's signed webhook calls (where a LiveKit server sends them).
- History is authorised by \`Authorization: Bearer\` with the edge's access token (a participant of the
  meeting, live session) or a join token for that meeting's room.
- Not described here: the signaling WebSocket \`GET /ws?access_token={join token}\` (see the signaling protocol).
`.trim();

/**
 * The media node's OpenAPI 3.1 document: routes, input rules, the bearer and LiveKit
 * webhook schemes, the shared 405. Build it once every route is registered.
 */
export function mediaNodeOpenApiDocument(app: OpenAPIHono): object {
  return finishDocument(
    app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Huddle media node HTTP API', version: '1.0.0', description } }),
    {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        livekitWebhook: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: "LiveKit's webhook token: a JWT signed with the API secret, carrying the body's SHA-256",
        },
      },
      responses: { MethodNotAllowed: methodNotAllowedResponse() },
    },
  );
}

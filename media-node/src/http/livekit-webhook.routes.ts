import { createRoute, z } from '@hono/zod-openapi';
import type { LivekitWebhooks } from '../sfu/livekit/webhooks.ts';
import { createRouter, errorResponses, jsonResponse } from './openapi.ts';

/** Largest webhook body accepted, in bytes (LiveKit events are a few KiB). */
export const WEBHOOK_BODY_BYTES_MAX = 256 * 1024;

const tooLarge = { error: { code: 'payload_too_large', message: 'Body too large.' } };

// The body stays raw text for WebhookReceiver (the signature covers its exact bytes), so
// the document describes it with a plain JSON Schema: no zod validator reads it first.
const webhookRoute = createRoute({
  method: 'post',
  path: '/webhooks/livekit',
  tags: ['livekit'],
  summary: "LiveKit's webhook calls (room and participant events)",
  description:
    `Sent by a LiveKit server configured with this node's URL and the API key pair. The body (at most ` +
    `${WEBHOOK_BODY_BYTES_MAX} bytes) is a LiveKit WebhookEvent; \`Authorization\` is LiveKit's signed token over it. ` +
    'Each event is applied once (a repeat answers 200 with `duplicate: true`).',
  security: [{ livekitWebhook: [] }],
  request: {
    body: {
      description: 'A LiveKit WebhookEvent (protobuf JSON)',
      content: {
        'application/webhook+json': { schema: { type: 'object' } },
        'application/json': { schema: { type: 'object' } },
      },
    },
  },
  responses: {
    200: jsonResponse(
      z.object({
        ok: z.literal(true),
        event: z.string(),
        duplicate: z.literal(true).optional(),
        ignored: z.string().optional().openapi({ description: 'Why an event was accepted but changed nothing' }),
      }),
      'Applied, or applied before',
    ),
    ...errorResponses(400, 401, 413),
  },
});

/**
 * POST /webhooks/livekit: LiveKit's webhooks (configured on the server with this node's
 * URL and the API key). 200 when applied or already applied, 401 for a missing or bad
 * signature, 400 for a malformed body, 413 for an oversize one.
 */
export function livekitWebhookRoutes(webhooks: LivekitWebhooks) {
  return createRouter().openapi(webhookRoute, async (c) => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > WEBHOOK_BODY_BYTES_MAX) return c.json(tooLarge, 413);
    const body = await c.req.text();
    if (Buffer.byteLength(body) > WEBHOOK_BODY_BYTES_MAX) return c.json(tooLarge, 413);
    const outcome = await webhooks.handle(body, c.req.header('authorization'));
    return outcome.status === 200 ? c.json(outcome.body, 200) : c.json(outcome.body, outcome.status);
  });
}

import { Hono } from 'hono';
import type { LivekitWebhooks } from '../sfu/livekit/webhooks.ts';

/** Largest webhook body accepted, in bytes (LiveKit events are a few KiB). */
export const WEBHOOK_BODY_BYTES_MAX = 256 * 1024;

/**
 * POST /webhooks/livekit: LiveKit's webhooks (configured on the server with this node's
 * URL and the API key). 200 when applied or already applied, 401 for a missing or bad
 * signature, 400 for a malformed body, 413 for an oversize one.
 */
export function livekitWebhookRoutes(webhooks: LivekitWebhooks): Hono {
  return new Hono().post('/webhooks/livekit', async (c) => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > WEBHOOK_BODY_BYTES_MAX) return c.json({ error: { code: 'payload_too_large', message: 'Body too large.' } }, 413);
    const body = await c.req.text();
    if (Buffer.byteLength(body) > WEBHOOK_BODY_BYTES_MAX) {
      return c.json({ error: { code: 'payload_too_large', message: 'Body too large.' } }, 413);
    }
    const outcome = await webhooks.handle(body, c.req.header('authorization'));
    return c.json(outcome.body, outcome.status);
  });
}

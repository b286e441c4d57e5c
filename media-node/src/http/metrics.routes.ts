import { createRoute, z } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import { createRouter } from './openapi.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['health'],
  summary: 'Prometheus metrics (text exposition format 0.0.4)',
  responses: {
    200: {
      description: 'Metrics named huddle_<part>_<thing>_<unit>, plus process metrics',
      content: { 'text/plain': { schema: z.string() } },
    },
  },
});

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes(registry: Registry) {
  return createRouter().openapi(metricsRoute, async (c) => {
    const body = await registry.metrics();
    return c.text(body, 200, { 'content-type': registry.contentType });
  });
}

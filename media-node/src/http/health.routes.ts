import { createRoute } from '@hono/zod-openapi';
import { healthReportSchema, probeDependencies } from '@huddle/protocol';
import { createRouter, jsonResponse } from './openapi.ts';

/** A dependency check for /ready: resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the process serves requests',
  responses: { 200: jsonResponse(healthReportSchema, 'Alive') },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Readiness: PostgreSQL, Redis, MongoDB (and a required SFU) each answer',
  responses: {
    200: jsonResponse(healthReportSchema, 'Every dependency answered'),
    503: jsonResponse(healthReportSchema, 'At least one dependency is down'),
  },
});

/**
 * GET /health answers while the process serves requests (liveness);
 * GET /ready reports each dependency and is 503 unless all answer (readiness).
 */
export function healthRoutes(probes: Record<string, Probe>) {
  return createRouter()
    .openapi(healthRoute, (c) => c.json({ status: 'ok' as const, service: 'media-node' as const }, 200))
    .openapi(readyRoute, async (c) => {
      const report = await probeDependencies('media-node', probes);
      return report.status === 'ok' ? c.json(report, 200) : c.json(report, 503);
    });
}

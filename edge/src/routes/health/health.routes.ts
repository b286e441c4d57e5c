import { createRoute } from '@hono/zod-openapi';
import { healthReportSchema } from '@huddle/protocol';
import { jsonResponse } from '../../lib/openapi.ts';

// The same report shape the media node serves (protocol/src/health.ts).
const healthReport = healthReportSchema;

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the Worker answers',
  responses: { 200: jsonResponse(healthReport, 'Alive') },
});

export const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Readiness: Postgres and Redis each answer',
  responses: {
    200: jsonResponse(healthReport, 'Every dependency answered'),
    503: jsonResponse(healthReport, 'At least one dependency is down'),
  },
});

import { createRoute, z } from '@hono/zod-openapi';
import { jsonContent } from '../../lib/openapi.ts';

const dependencyState = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
});
const healthReport = z
  .object({
    status: z.enum(['ok', 'degraded']),
    service: z.literal('edge'),
    dependencies: z.record(z.string(), dependencyState).optional(),
  })
  .openapi('HealthReport');

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the Worker answers',
  responses: { 200: jsonContent(healthReport, 'Alive') },
});

export const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Readiness: Postgres and Redis each answer',
  responses: {
    200: jsonContent(healthReport, 'Every dependency answered'),
    503: jsonContent(healthReport, 'At least one dependency is down'),
  },
});

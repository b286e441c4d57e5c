import { Hono } from 'hono';
import { Redis } from '@upstash/redis/cloudflare';
import { createWorkerDb, pingDatabase } from '@huddle/db';
import { probeDependencies } from '@huddle/protocol';
import type { EdgeBindings } from '../../env.ts';

/**
 * GET /health: the Worker answers (liveness).
 * GET /ready: Postgres and Redis each answer within the probe timeout, else 503.
 */
export const healthRoutes = new Hono<{ Bindings: EdgeBindings }>()
  .get('/health', (c) => c.json({ status: 'ok', service: 'edge' }))
  .get('/ready', async (c) => {
    const report = await probeDependencies('edge', {
      postgres: () => pingDatabase(createWorkerDb(c.env)),
      redis: () =>
        new Redis({
          url: c.env.UPSTASH_REDIS_REST_URL,
          token: c.env.UPSTASH_REDIS_REST_TOKEN,
          retry: false,
        }).ping(),
    });
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

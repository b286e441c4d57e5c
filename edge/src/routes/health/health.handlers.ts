import type { RouteHandler } from '@hono/zod-openapi';
import { Redis } from '@upstash/redis/cloudflare';
import { createDb, pingDatabase } from '@huddle/db';
import { probeDependencies } from '@huddle/protocol';
import type { AppEnv } from '../../env.ts';
import type { healthRoute, readyRoute } from './health.routes.ts';

export const health: RouteHandler<typeof healthRoute, AppEnv> = (c) =>
  c.json({ status: 'ok' as const, service: 'edge' as const }, 200);

// Built from env directly rather than c.var.deps: readiness must answer even
// when secrets are missing, and says which dependency is down.
export const ready: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
  const report = await probeDependencies('edge', {
    postgres: () => pingDatabase(createDb(c.env)),
    redis: () =>
      new Redis({ url: c.env.UPSTASH_REDIS_REST_URL, token: c.env.UPSTASH_REDIS_REST_TOKEN, retry: false }).ping(),
  });
  const body = { ...report, service: 'edge' as const };
  return report.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
};

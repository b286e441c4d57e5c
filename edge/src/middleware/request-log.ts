import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.ts';
import { logEvent } from '../lib/log.ts';

/** One structured line per request: method, path, status, duration, request id. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  logEvent(c, 'info', 'request', {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Math.round(performance.now() - started),
  });
});

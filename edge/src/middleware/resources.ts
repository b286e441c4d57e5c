import { createMiddleware } from 'hono/factory';
import { Redis } from '@upstash/redis/cloudflare';
import { createDb, type DbClient } from '@huddle/db';
import { ConfigError, loadConfig, type EdgeConfig } from '../config.ts';
import type { AppEnv } from '../env.ts';
import { unavailable } from '../lib/api-error.ts';
import { logEvent } from '../lib/log.ts';

/**
 * Builds this request's config, Redis client and (lazily) its Postgres
 * connection from `env`, and puts them on `c.var.deps`.
 */
export const resources = createMiddleware<AppEnv>(async (c, next) => {
  let config: EdgeConfig;
  try {
    config = loadConfig(c.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logEvent(c, 'error', error.message);
    throw unavailable('misconfigured', 'The service is not configured correctly.');
  }
  let db: DbClient | undefined;
  c.set('deps', {
    config,
    // workerd: a connection for this request; Node: the process-wide pool (a connection per
    // request would never be closed there).
    db: () => (db ??= createDb(c.env)),
    redis: new Redis({
      url: config.upstash.url,
      token: config.upstash.token,
      // Two quick retries: a down gateway answers 503 in ~0.2 s, not after the default ~4 s.
      retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
    }),
  });
  await next();
});

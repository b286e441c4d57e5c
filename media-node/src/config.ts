import { z } from 'zod';

const envSchema = z.object({
  MEDIA_NODE_HOST: z.string().default('127.0.0.1'),
  MEDIA_NODE_PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  MEDIA_NODE_PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.url().default('postgres://huddle:huddle@127.0.0.1:5432/huddle'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  MONGODB_URL: z.url().default('mongodb://127.0.0.1:27017/huddle'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

/** Media-node settings, parsed once from the environment at start-up. */
export interface MediaNodeConfig {
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string;
  redisUrl: string;
  mongodbUrl: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  shutdownTimeoutMs: number;
}

/** Parses the environment; throws a readable error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): MediaNodeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid media-node configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    host: e.MEDIA_NODE_HOST,
    port: e.MEDIA_NODE_PORT,
    publicUrl: e.MEDIA_NODE_PUBLIC_URL ?? `ws://${e.MEDIA_NODE_HOST}:${e.MEDIA_NODE_PORT}`,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    mongodbUrl: e.MONGODB_URL,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}

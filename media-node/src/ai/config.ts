import { z } from 'zod';
import type { AiWorkerPoolOptions } from './pool.ts';
import { parseEnv } from '../env-config.ts';

const int = (min = 0) => z.coerce.number().int().min(min);

const envSchema = z.object({
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  MONGODB_URL: z.url().default('mongodb://127.0.0.1:27017/huddle'),
  AI_TASKS_STREAM: z.string().min(1).optional(),
  AI_TASKS_GROUP: z.string().min(1).optional(),
  AI_TASKS_DEAD: z.string().min(1).optional(),
  AI_TASKS_DELAYED: z.string().min(1).optional(),
  AI_CONSUMER: z.string().min(1).optional(),
  AI_CONCURRENCY: int(1).optional(),
  AI_MAX_ATTEMPTS: int(1).optional(),
  AI_BACKOFF_BASE_MS: int().optional(),
  AI_BACKOFF_MAX_MS: int().optional(),
  AI_CLAIM_IDLE_MS: int(100).optional(),
  AI_TASK_TIMEOUT_MS: int(10).optional(),
  AI_DRAIN_TIMEOUT_MS: int().optional(),
  AI_CPU_THREADS: int(1).optional(),
  TRANSCRIBE_URL: z.url().optional(),
  TRANSCRIBE_API_KEY: z.string().min(1).optional(),
  TRANSCRIBE_MODEL: z.string().min(1).default('whisper-1'),
  TRANSCRIBE_TIMEOUT_MS: int(100).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Pool settings from the environment (everything but the logger), plus the log level. */
export type AiWorkerEnvConfig = Omit<AiWorkerPoolOptions, 'log'> & { redis: string; mongo: string; logLevel: string };

/**
 * Parses the AI pool's environment variables (AI_*, TRANSCRIBE_*, REDIS_URL, MONGODB_URL);
 * throws one readable error naming every bad variable.
 */
export function loadAiWorkerConfig(env: NodeJS.ProcessEnv = process.env): AiWorkerEnvConfig {
  const e = parseEnv(envSchema, env, 'AI worker');
  const defined = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return defined({
    redis: e.REDIS_URL,
    mongo: e.MONGODB_URL,
    logLevel: e.LOG_LEVEL,
    consumer: e.AI_CONSUMER,
    concurrency: e.AI_CONCURRENCY,
    maxAttempts: e.AI_MAX_ATTEMPTS,
    backoffBaseMs: e.AI_BACKOFF_BASE_MS,
    backoffMaxMs: e.AI_BACKOFF_MAX_MS,
    claimIdleMs: e.AI_CLAIM_IDLE_MS,
    taskTimeoutMs: e.AI_TASK_TIMEOUT_MS,
    drainTimeoutMs: e.AI_DRAIN_TIMEOUT_MS,
    cpuThreads: e.AI_CPU_THREADS,
    keys: defined({ stream: e.AI_TASKS_STREAM, group: e.AI_TASKS_GROUP, dead: e.AI_TASKS_DEAD, delayed: e.AI_TASKS_DELAYED }),
    transcribe: defined({ url: e.TRANSCRIBE_URL, apiKey: e.TRANSCRIBE_API_KEY, model: e.TRANSCRIBE_MODEL, requestTimeoutMs: e.TRANSCRIBE_TIMEOUT_MS }),
  });
}

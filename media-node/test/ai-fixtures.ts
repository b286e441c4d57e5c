// Shared set-up for the AI pool suites: private stream/group/dead/delayed keys and a
// private Mongo database per test file, so suites never see each other's work.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { encodeTaskEntry, type AiTask, type AiTaskRequest } from '@huddle/protocol';
import { AiWorkerPool, type AiWorkerPoolOptions } from '../src/ai/pool.ts';
import { queueKeys, type QueueKeys } from '../src/ai/queue.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MONGODB_URL = process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017/huddle';

export const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Fresh keys under a random prefix. */
export function testKeys(): QueueKeys {
  const prefix = `test:ai:${randomBytes(4).toString('hex')}`;
  return queueKeys({ stream: `${prefix}:tasks`, group: 'ai-workers', dead: `${prefix}:dead`, delayed: `${prefix}:delayed` });
}

/** A RESP2 Redis connection (plain replies). */
export function openRedis(): Redis {
  return new Redis(REDIS_URL, { protocol: 2 });
}

/** A private Mongo database, dropped by `drop()`. */
export async function openTestMongo(): Promise<{ client: MongoClient; db: Db; name: string; drop: () => Promise<void> }> {
  const name = `huddle_test_ai_${randomBytes(4).toString('hex')}`;
  const client = new MongoClient(MONGODB_URL, { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  const db = client.db(name);
  return {
    client,
    db,
    name,
    drop: async () => {
      // Collections first (DROP TABLE is safe under concurrent readers in FerretDB's SQLite
      // backend), then the then-empty database: deleting a database file with queries
      // still running on it crashed FerretDB v1 (SIGBUS in the WAL reader), seen here.
      for (const c of await db.collections().catch(() => [])) await c.drop().catch(() => {});
      await db.dropDatabase().catch(() => {});
      await client.close();
    },
  };
}

/** A full task as the edge would enqueue it. */
export function makeTask(request: AiTaskRequest, overrides: Partial<AiTask> = {}): AiTask {
  return {
    ...request,
    taskId: randomUUID(),
    userId: randomUUID(),
    attempt: 1,
    enqueuedAt: new Date().toISOString(),
    ...overrides,
  } as AiTask;
}

/** XADDs a task in the protocol's entry format. */
export async function addTask(redis: Redis, keys: QueueKeys, task: AiTask): Promise<string> {
  return String(await redis.xadd(keys.stream, '*', ...Object.entries(encodeTaskEntry(task)).flat()));
}

/** Starts a pool on the test keys with quick timings and a private metrics registry. */
export function startPool(keys: QueueKeys, db: { client: MongoClient; name: string }, options: Partial<AiWorkerPoolOptions> = {}): Promise<AiWorkerPool> {
  return AiWorkerPool.create({
    redis: REDIS_URL,
    mongo: db.client,
    mongoDbName: db.name,
    log,
    keys,
    concurrency: 4,
    blockMs: 200,
    claimIdleMs: 2_000,
    promoteIntervalMs: 20,
    metricsRegistry: new Registry(),
    cpuThreads: 1,
    ...options,
  });
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Deletes the test keys. */
export async function dropKeys(redis: Redis, keys: QueueKeys): Promise<void> {
  await redis.del(keys.stream, keys.dead, keys.delayed);
}

/** Flat field list → object. */
export function fieldsToObject(fields: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
  return o;
}

/** 16-bit little-endian mono PCM: silence and sine tones, as [seconds, hz | 0] parts. */
export function pcm(sampleRate: number, parts: [seconds: number, hz: number][], amplitude = 0.5): Buffer {
  const total = parts.reduce((n, [s]) => n + Math.round(s * sampleRate), 0);
  const out = Buffer.alloc(total * 2);
  let i = 0;
  for (const [seconds, hz] of parts) {
    const n = Math.round(seconds * sampleRate);
    for (let k = 0; k < n; k++, i++) {
      const v = hz === 0 ? 0 : Math.round(Math.sin((2 * Math.PI * hz * k) / sampleRate) * amplitude * 32_767);
      out.writeInt16LE(v, i * 2);
    }
  }
  return out;
}

/** The Redis connection and throwaway MongoDB database one AI test file works with. */
export interface AiTestResources {
  redis: Redis;
  mongo: Awaited<ReturnType<typeof openTestMongo>>;
}

export async function openAiResources(): Promise<AiTestResources> {
  return { redis: openRedis(), mongo: await openTestMongo() };
}

/** Closes every pool a test started (they drain, so no task is left running). */
export async function closePools(pools: AiWorkerPool[]): Promise<void> {
  await Promise.all(pools.splice(0).map((p) => p.close()));
}

/** Deletes the queue keys the file used, drops its MongoDB database and disconnects. */
export async function closeAiResources(resources: Partial<AiTestResources>, usedKeys: QueueKeys[]): Promise<void> {
  const { redis, mongo } = resources;
  if (redis) await Promise.all(usedKeys.map((k) => dropKeys(redis, k)));
  await mongo?.drop();
  redis?.disconnect();
}

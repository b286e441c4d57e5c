import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { encodeTaskEntry } from '@huddle/protocol';
import { AI_RESULTS_COLLECTION } from '../src/ai/results-store.ts';
import { dropKeys, makeTask, MONGODB_URL, openRedis, openTestMongo, REDIS_URL, testKeys, waitFor } from './ai-fixtures.ts';

// The crash test: the pool runs in a child process (worker-main.ts), is killed with
// SIGKILL in the middle of 2,000 tasks, and a fresh process finishes the work.
// At-least-once delivery + upsert by task_id must give exactly one result per task.

const TASKS = 2_000;
const workerMain = fileURLToPath(new URL('../src/ai/worker-main.ts', import.meta.url));
let redis: Redis;
let mongo: Awaited<ReturnType<typeof openTestMongo>>;
const keys = testKeys();
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = openRedis();
  mongo = await openTestMongo();
});
afterAll(async () => {
  // Workers must be gone before the database is dropped: FerretDB's SQLite backend can
  // crash (SIGBUS) when a database file is deleted under a query that is still running.
  await Promise.all(
    children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => {
        c.kill('SIGKILL');
        return once(c, 'exit');
      }),
  );
  await new Promise((r) => setTimeout(r, 200));
  await dropKeys(redis, keys);
  await mongo?.drop();
  redis?.disconnect();
});

/** Starts worker-main.ts and resolves once it printed its ready line. */
async function startWorker(consumer: string): Promise<ChildProcess> {
  const mongoUrl = new URL(MONGODB_URL);
  mongoUrl.pathname = `/${mongo.name}`;
  const child = spawn(process.execPath, [workerMain], {
    env: {
      ...process.env,
      REDIS_URL,
      MONGODB_URL: mongoUrl.toString(),
      AI_TASKS_STREAM: keys.stream,
      AI_TASKS_GROUP: keys.group,
      AI_TASKS_DEAD: keys.dead,
      AI_TASKS_DELAYED: keys.delayed,
      AI_CONSUMER: consumer,
      AI_CONCURRENCY: '8',
      AI_CLAIM_IDLE_MS: '2000',
      AI_TASK_TIMEOUT_MS: '1500',
      AI_CPU_THREADS: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      if (out.includes('"ready":true')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${stderr}`)));
  });
  return child;
}

const results = () => mongo.db.collection(AI_RESULTS_COLLECTION);

describe('AI pool crash test (child process, SIGKILL mid-run)', () => {
  it('ends with exactly one result per task, nothing pending, nothing delayed', async () => {
    const meetingId = randomUUID();
    const taskIds: string[] = [];
    const pipeline = redis.pipeline();
    for (let i = 0; i < TASKS; i++) {
      const task = makeTask({ type: 'sentiment', meetingId, payload: { text: `task ${i}: this is good, not bad` } });
      taskIds.push(task.taskId);
      pipeline.xadd(keys.stream, '*', ...Object.entries(encodeTaskEntry(task)).flat());
    }
    await pipeline.exec();

    const first = await startWorker('crash-victim');
    // Progress is read from Redis (completed entries are deleted), which costs FerretDB nothing.
    await waitFor(async () => (await redis.xlen(keys.stream)) <= TASKS - 300, 30_000, '300 tasks done by the first worker', 50);
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = await results().countDocuments({ meeting_id: meetingId });
    expect(atKill).toBeGreaterThanOrEqual(250);
    expect(atKill).toBeLessThan(TASKS); // killed mid-run, not after the end
    // The victim left delivered-but-unacknowledged work behind.
    const pendingAfterKill = Number(((await redis.xpending(keys.stream, keys.group)) as unknown[])[0]);
    expect(pendingAfterKill).toBeGreaterThan(0);

    const second = await startWorker('survivor');
    await waitFor(async () => {
      const [pending, length] = await Promise.all([redis.xpending(keys.stream, keys.group), redis.xlen(keys.stream)]);
      return Number((pending as unknown[])[0]) === 0 && length === 0 ? true : undefined;
    }, 60_000, 'queue drained', 250);

    expect(await results().countDocuments({ meeting_id: meetingId })).toBe(TASKS);
    const stored = (await results().find({ meeting_id: meetingId }, { projection: { task_id: 1 } }).toArray()).map((d) => d.task_id);
    expect(new Set(stored).size).toBe(TASKS);
    expect(new Set(stored)).toEqual(new Set(taskIds));
    expect(await redis.zcard(keys.delayed)).toBe(0);
    expect(await redis.xlen(keys.dead)).toBe(0);

    // SIGTERM drains and exits 0.
    second.kill('SIGTERM');
    const [code] = await once(second, 'exit');
    expect(code).toBe(0);
  }, 120_000);
});

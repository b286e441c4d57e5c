import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis as UpstashRedis } from '@upstash/redis';
import type { Redis } from 'ioredis';
import { decodeTaskEntry, encodeTaskEntry, parseAiResultPublication, type AiTask } from '@huddle/protocol';
import { enqueueTask } from '../src/ai/enqueue.ts';
import { UnrecoverableError } from '../src/ai/errors.ts';
import type { AiWorkerPool } from '../src/ai/pool.ts';
import type { AttemptRecord } from '../src/ai/queue.ts';
import { AI_RESULTS_COLLECTION, listInsights } from '../src/ai/results-store.ts';
import {
  addTask,
  fieldsToObject,
  makeTask,
  REDIS_URL,
  startPool,
  testKeys,
  waitFor,
  openAiResources,
  closePools,
  closeAiResources,
  type AiTestResources,
} from './ai-fixtures.ts';

let redis: Redis;
let mongo: AiTestResources['mongo'];
const pools: AiWorkerPool[] = [];
const usedKeys: ReturnType<typeof testKeys>[] = [];

beforeAll(async () => {
  ({ redis, mongo } = await openAiResources());
});
afterEach(() => closePools(pools));
afterAll(() => closeAiResources({ redis, mongo }, usedKeys));

function keys() {
  const k = testKeys();
  usedKeys.push(k);
  return k;
}
async function pool(k: ReturnType<typeof testKeys>, options: Parameters<typeof startPool>[2] = {}) {
  const p = await startPool(k, mongo, options);
  pools.push(p);
  return p;
}
const sentiment = (text = 'what a great and happy meeting', meetingId = randomUUID()) =>
  makeTask({ type: 'sentiment', meetingId, payload: { text } });
const results = () => mongo.db.collection(AI_RESULTS_COLLECTION);
const pendingCount = async (k: ReturnType<typeof testKeys>) => Number(((await redis.xpending(k.stream, k.group)) as unknown[])[0]);
async function deadEntries(k: ReturnType<typeof testKeys>) {
  return (await redis.xrange(k.dead, '-', '+')).map(([id, f]) => ({ id, ...fieldsToObject(f) }) as Record<string, string>);
}

describe('AI pool: happy path', () => {
  it('stores the result once, acknowledges and deletes the entry, and publishes ai.result', async () => {
    const k = keys();
    const task = sentiment();
    const sub = redis.duplicate();
    const messages: string[] = [];
    await sub.subscribe(`meeting:${task.meetingId}:events`);
    sub.on('message', (_channel, message) => messages.push(message));
    try {
      const p = await pool(k);
      await addTask(redis, k, task);
      const doc = await waitFor(() => results().findOne({ task_id: task.taskId }).then((d) => d ?? undefined), 5_000, 'result');
      expect(doc).toMatchObject({ meeting_id: task.meetingId, user_id: task.userId, analysis_type: 'sentiment' });
      expect(doc.timestamp).toBeInstanceOf(Date);
      expect(doc.results).toMatchObject({ label: 'positive' });
      expect((doc.results as { score: number }).score).toBeGreaterThan(0);
      await waitFor(async () => (await redis.xlen(k.stream)) === 0, 2_000, 'entry deleted');
      expect(await pendingCount(k)).toBe(0);
      const published = await waitFor(async () => messages[0], 2_000, 'pub/sub message');
      const event = parseAiResultPublication(published);
      expect(event).toMatchObject({ type: 'ai.result', meetingId: task.meetingId, taskId: task.taskId, analysisType: 'sentiment' });
      expect(event?.results).toEqual(doc.results);
      const metrics = await p.metrics.done.get();
      expect(metrics.values.find((v) => v.labels.type === 'sentiment')?.value).toBe(1);
    } finally {
      sub.disconnect();
    }
  });

  it('a redelivered task (same task_id) leaves exactly one result and is not published twice', async () => {
    const k = keys();
    const task = sentiment('bad awful terrible');
    await pool(k);
    await addTask(redis, k, task);
    await addTask(redis, k, { ...task, attempt: 2 });
    await waitFor(async () => (await redis.xlen(k.stream)) === 0 && (await pendingCount(k)) === 0, 5_000, 'both processed');
    expect(await results().countDocuments({ task_id: task.taskId })).toBe(1);
    const doc = await results().findOne({ task_id: task.taskId });
    expect(doc?.results).toMatchObject({ label: 'negative' });
  });
});

describe('enqueue: TCP helper and the edge (Upstash REST) write identical entries', () => {
  it('both entries have the same fields and decode to the same task; the pool processes both', async () => {
    const k = keys();
    const meetingId = randomUUID();
    const userId = randomUUID();
    const request = { type: 'summary' as const, meetingId, payload: { maxSentences: 2 } };
    const tcp = await enqueueTask(redis, request, { userId, stream: k.stream });
    if (!tcp.ok) throw new Error(tcp.error);

    // What edge/src/services/ai-tasks.ts does: @upstash/redis XADD of encodeTaskEntry(task).
    const upstash = new UpstashRedis({
      url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
      token: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token',
      retry: false,
    });
    const edgeTask: AiTask = { ...request, taskId: randomUUID(), userId, attempt: 1, enqueuedAt: new Date().toISOString() };
    await upstash.xadd(k.stream, '*', encodeTaskEntry(edgeTask));

    const entries = await redis.xrange(k.stream, '-', '+');
    expect(entries).toHaveLength(2);
    const [a, b] = entries.map(([, fields]) => fields);
    expect(a!.filter((_, i) => i % 2 === 0)).toEqual(['task']);
    expect(b!.filter((_, i) => i % 2 === 0)).toEqual(['task']);
    const da = decodeTaskEntry(a!);
    const db = decodeTaskEntry(b!);
    if (!da.ok || !db.ok) throw new Error('undecodable');
    expect(db.task).toEqual(edgeTask);
    expect(da.task.taskId).toBe(tcp.taskId);
    const strip = (t: AiTask) => ({ ...t, taskId: '', enqueuedAt: '' });
    expect(strip(da.task)).toEqual(strip(db.task));
    expect(Object.keys(JSON.parse(a![1]!))).toEqual(Object.keys(JSON.parse(b![1]!)));

    await pool(k);
    await waitFor(async () => (await results().countDocuments({ meeting_id: meetingId })) === 2, 5_000, 'two summaries');
  });

  it('refuses a task that can never succeed at enqueue', async () => {
    const bad = await enqueueTask(redis, { type: 'sentiment', meetingId: randomUUID(), payload: { text: '' } }, { userId: randomUUID(), stream: 'unused' });
    expect(bad).toMatchObject({ ok: false, code: 'invalid_task' });
    expect(await redis.exists('unused')).toBe(0);
  });
});

describe('AI pool: retries and dead letters', () => {
  it('a poison task is tried exactly maxAttempts times with growing delays, then dead-lettered with its history', async () => {
    const k = keys();
    const starts: number[] = [];
    await pool(k, {
      maxAttempts: 4,
      backoffBaseMs: 150,
      processors: {
        sentiment: async (task) => {
          starts.push(Date.now());
          throw new Error(`boom on attempt ${task.attempt}`);
        },
      },
    });
    const task = sentiment();
    await addTask(redis, k, task);
    const [dead] = await waitFor(async () => {
      const d = await deadEntries(k);
      return d.length > 0 ? d : undefined;
    }, 8_000, 'dead letter');
    expect(starts).toHaveLength(4);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Delays 150·2^(n−1)·[0.75, 1]: ~[112–150], [225–300], [450–600] ms.
    expect(gaps[0]!).toBeGreaterThanOrEqual(100);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
    expect(dead).toMatchObject({ taskId: task.taskId, type: 'sentiment', code: 'processor_error', attempts: '4' });
    expect(dead!.error).toBe('boom on attempt 4');
    const history = JSON.parse(dead!.history!) as AttemptRecord[];
    expect(history.map((h) => h.attempt)).toEqual([1, 2, 3, 4]);
    expect(history.map((h) => h.error)).toEqual([1, 2, 3, 4].map((n) => `boom on attempt ${n}`));
    const historyGaps = history.slice(1).map((h, i) => Date.parse(h.startedAt) - Date.parse(history[i]!.startedAt));
    expect(historyGaps[2]!).toBeGreaterThan(historyGaps[0]!);
    const deadTask = decodeTaskEntry(['task', dead!.task!]);
    expect(deadTask.ok && deadTask.task.taskId).toBe(task.taskId);
    // Nothing left behind anywhere, and no result.
    await new Promise((r) => setTimeout(r, 100));
    expect(await redis.xlen(k.stream)).toBe(0);
    expect(await pendingCount(k)).toBe(0);
    expect(await redis.zcard(k.delayed)).toBe(0);
    expect(await results().countDocuments({ task_id: task.taskId })).toBe(0);
    expect(starts).toHaveLength(4);
  });

  it('an UnrecoverableError is dead-lettered after one attempt', async () => {
    const k = keys();
    let calls = 0;
    await pool(k, {
      maxAttempts: 5,
      backoffBaseMs: 10,
      processors: {
        sentiment: async () => {
          calls++;
          throw new UnrecoverableError('provider_rejected', 'provider refused the task with 400');
        },
      },
    });
    const task = sentiment();
    await addTask(redis, k, task);
    const [dead] = await waitFor(async () => ((await deadEntries(k)).length ? deadEntries(k) : undefined), 5_000, 'dead');
    expect(dead).toMatchObject({ taskId: task.taskId, code: 'provider_rejected', attempts: '1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(1);
    expect(await redis.zcard(k.delayed)).toBe(0);
  });

  it('a task that times out is retried, then dead-lettered with code timeout', async () => {
    const k = keys();
    let calls = 0;
    await pool(k, {
      maxAttempts: 2,
      backoffBaseMs: 10,
      taskTimeoutMs: 100,
      processors: {
        sentiment: () => {
          calls++;
          return new Promise(() => {}); // never settles and ignores its signal
        },
      },
    });
    await addTask(redis, k, sentiment());
    const [dead] = await waitFor(async () => ((await deadEntries(k)).length ? deadEntries(k) : undefined), 5_000, 'dead');
    expect(dead).toMatchObject({ code: 'timeout', attempts: '2' });
    expect(calls).toBe(2);
  });

  it('a processor output that does not match the result schema is dead-lettered at once (invalid_result)', async () => {
    const k = keys();
    await pool(k, { processors: { sentiment: async () => ({ score: 'high' }) as never } });
    await addTask(redis, k, sentiment());
    const [dead] = await waitFor(async () => ((await deadEntries(k)).length ? deadEntries(k) : undefined), 5_000, 'dead');
    expect(dead).toMatchObject({ code: 'invalid_result', attempts: '1' });
  });

  it('bad input (no task field, not JSON, missing fields, unknown type) is dead-lettered at once with a reason', async () => {
    const k = keys();
    let calls = 0;
    await pool(k, {
      processors: {
        sentiment: async () => {
          calls++;
          return { score: 0, comparative: 0, label: 'neutral' };
        },
      },
    });
    const good = sentiment();
    await redis.xadd(k.stream, '*', 'other', 'x');
    await redis.xadd(k.stream, '*', 'task', '{not json');
    await redis.xadd(k.stream, '*', 'task', JSON.stringify({ ...good, taskId: randomUUID(), payload: {} }));
    await redis.xadd(k.stream, '*', 'task', JSON.stringify({ ...good, taskId: randomUUID(), type: 'face_recognition' }));
    const dead = await waitFor(async () => {
      const d = await deadEntries(k);
      return d.length === 4 ? d : undefined;
    }, 5_000, 'four dead letters');
    expect(dead.map((d) => d.code)).toEqual(['invalid_task', 'invalid_task', 'invalid_task', 'invalid_task']);
    expect(dead[0]!.error).toContain('no "task" field');
    expect(dead[1]!.error).toBe('task is not JSON');
    expect(dead[2]!.error).toContain('payload.text');
    expect(dead[3]!.error).toContain('type');
    expect(dead.every((d) => d.attempts === '1')).toBe(true);
    expect(calls).toBe(0);
    expect(await pendingCount(k)).toBe(0);
  });
});

describe('AI pool: concurrency, reclaim and drain', () => {
  it('never runs more than `concurrency` tasks at once', async () => {
    const k = keys();
    let now = 0;
    let max = 0;
    await pool(k, {
      concurrency: 3,
      processors: {
        sentiment: async () => {
          now++;
          max = Math.max(max, now);
          await new Promise((r) => setTimeout(r, 30));
          now--;
          return { score: 0, comparative: 0, label: 'neutral' };
        },
      },
    });
    const meetingId = randomUUID();
    for (let i = 0; i < 30; i++) await addTask(redis, k, sentiment('ok', meetingId));
    await waitFor(async () => (await results().countDocuments({ meeting_id: meetingId })) === 30, 10_000, '30 results');
    expect(max).toBe(3);
  });

  it('reclaims a task a dead consumer left pending (XAUTOCLAIM after claimIdleMs)', async () => {
    const k = keys();
    const task = sentiment();
    await redis.xgroup('CREATE', k.stream, k.group, '0', 'MKSTREAM');
    await addTask(redis, k, task);
    // A consumer that takes the task and dies without acknowledging it.
    await redis.xreadgroup('GROUP', k.group, 'dead-consumer', 'COUNT', 1, 'STREAMS', k.stream, '>');
    expect(await pendingCount(k)).toBe(1);
    const p = await pool(k, { claimIdleMs: 300, reclaimIntervalMs: 50 });
    await waitFor(() => results().findOne({ task_id: task.taskId }).then((d) => d ?? undefined), 5_000, 'reclaimed result');
    await waitFor(async () => (await pendingCount(k)) === 0, 2_000, 'no pending');
    expect((await p.metrics.reclaimed.get()).values[0]?.value).toBe(1);
  });

  it('close() hands back a task that does not finish in time; another pool completes it; close is idempotent', async () => {
    const k = keys();
    let started = false;
    const p = await startPool(k, mongo, {
      concurrency: 1,
      drainTimeoutMs: 100,
      processors: {
        sentiment: (_task, ctx) =>
          new Promise((_, reject) => {
            started = true;
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
          }),
      },
    });
    const task = sentiment();
    await addTask(redis, k, task);
    await waitFor(async () => started, 5_000, 'task started');
    await Promise.all([p.close(), p.close()]);
    await p.close();
    expect(await pendingCount(k)).toBe(0);
    const back = await redis.xrange(k.stream, '-', '+');
    expect(back).toHaveLength(1);
    const decoded = decodeTaskEntry(back[0]![1]);
    expect(decoded.ok && decoded.task.taskId).toBe(task.taskId);
    expect(decoded.ok && decoded.task.attempt).toBe(1);

    await pool(k);
    await waitFor(() => results().findOne({ task_id: task.taskId }).then((d) => d ?? undefined), 5_000, 'result after hand-back');
  });

  it('close() lets a running task finish within the drain timeout', async () => {
    const k = keys();
    let started = false;
    const p = await startPool(k, mongo, {
      drainTimeoutMs: 5_000,
      processors: {
        sentiment: async () => {
          started = true;
          await new Promise((r) => setTimeout(r, 200));
          return { score: 1, comparative: 1, label: 'positive' };
        },
      },
    });
    const task = sentiment();
    await addTask(redis, k, task);
    await waitFor(async () => started, 5_000, 'task started');
    await p.close();
    expect(await results().countDocuments({ task_id: task.taskId })).toBe(1);
    expect(await redis.xlen(k.stream)).toBe(0);
    expect(await pendingCount(k)).toBe(0);
  });

  it('fails to start with a clear error when Redis is unreachable', async () => {
    const started = Date.now();
    await expect(startPool(keys(), mongo, { redis: 'redis://127.0.0.1:1' })).rejects.toThrow(/ECONNREFUSED|connect|Reached the max retries/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('results history', () => {
  it('lists a meeting’s results newest first, by type, with limit and before', async () => {
    const k = keys();
    await pool(k, { concurrency: 1 });
    const meetingId = randomUUID();
    const tasks = ['good', 'bad', 'fine', 'great'].map((t) => sentiment(t, meetingId));
    for (const t of tasks) {
      await addTask(redis, k, t);
      await waitFor(() => results().findOne({ task_id: t.taskId }).then((d) => d ?? undefined), 5_000, 'result');
      await new Promise((r) => setTimeout(r, 5));
    }
    await addTask(redis, k, makeTask({ type: 'summary', meetingId, payload: {} }));
    await waitFor(async () => (await results().countDocuments({ meeting_id: meetingId })) === 5, 5_000, 'summary');

    const all = await listInsights(mongo.db, meetingId, { limit: 10 });
    expect(all).toHaveLength(5);
    expect(all[0]!.analysisType).toBe('summary');
    const times = all.map((i) => Date.parse(i.timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const onlySentiment = await listInsights(mongo.db, meetingId, { type: 'sentiment', limit: 2 });
    expect(onlySentiment.map((i) => i.taskId)).toEqual([tasks[3]!.taskId, tasks[2]!.taskId]);
    const next = await listInsights(mongo.db, meetingId, { type: 'sentiment', limit: 2, before: new Date(onlySentiment[1]!.timestamp) });
    expect(next.map((i) => i.taskId)).toEqual([tasks[1]!.taskId, tasks[0]!.taskId]);
    expect(await listInsights(mongo.db, randomUUID(), { limit: 10 })).toEqual([]);
  });
});

void REDIS_URL;

// AI worker pool benchmark: `npm run bench:ai` (node scripts/bench/ai.ts).
//
// End-to-end throughput (enqueue → result stored → acknowledged) of a no-op processor,
// with our pool (media-node/src/ai, Redis Streams) and with BullMQ side by side in the
// same run, on the same local Redis, with the same concurrency, in the same process.
// Fairness: both get the same tasks (the protocol's task JSON), enqueued the same way (in
// pipelined batches of 100 while the worker runs: XADD for ours, Queue.addBulk for
// BullMQ), run the same no-op, and store the result through the same sink before they
// acknowledge: in memory ("memory" rows) or the pool's insert-once by task id into MongoDB/FerretDB
// ("mongo" rows). Completed jobs are removed in both (XACK + XDEL; removeOnComplete).
// Our pool also validates each task and result with zod and publishes ai.result on
// pub/sub, as it does in production; BullMQ writes its own events stream.
// Latency = result stored − enqueue call, per task; p50/p99 over all tasks.
// Rounds alternate (ours, BullMQ, ours, BullMQ, …); the table shows every round and the
// ratio uses the median throughput of each side.
//
// Bounded: --tasks (default 20000, at most 200000) per memory round, --mongo-tasks
// (default 3000) per mongo round, --rounds (default 2), and the whole run aborts after
// 5 minutes. Keys live under a random prefix and are deleted at the end.
//
// A *flood* round enqueues everything as fast as it can (throughput; latency is then mostly
// queueing); a *paced* round enqueues --rate tasks/s, below both systems' capacity, so its
// latency is the per-task overhead (wake-up from a blocked read, processing, store, ack).
//
// Options: --tasks=20000 --paced-tasks=2000 --rate=500 --mongo-tasks=3000 --rounds=2 --concurrency=8 --prefetch=0 --no-write
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { encodeTaskEntry, type AiTask } from '../../protocol/src/index.ts';
import { AiWorkerPool, type ResultSink } from '../../media-node/src/ai/pool.ts';
import { queueKeys } from '../../media-node/src/ai/queue.ts';
import { ensureResultIndexes, storeResult } from '../../media-node/src/ai/results-store.ts';
import { benchArgs } from './bench-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = benchArgs();
const TASKS = Math.min(200_000, Math.max(100, Number(args.get('tasks') ?? 20_000)));
const PACED_TASKS = Math.min(50_000, Math.max(0, Number(args.get('paced-tasks') ?? 2_000)));
const RATE = Math.min(10_000, Math.max(10, Number(args.get('rate') ?? 500)));
const MONGO_TASKS = Math.min(20_000, Math.max(0, Number(args.get('mongo-tasks') ?? 3_000)));
const ROUNDS = Math.min(5, Math.max(1, Number(args.get('rounds') ?? 2)));
const CONCURRENCY = Math.min(256, Math.max(1, Number(args.get('concurrency') ?? 8)));
const PREFETCH = Math.min(1_000, Math.max(0, Number(args.get('prefetch') ?? 0)));
const BATCH = 100;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MONGODB_URL = process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017/huddle';

const abort = setTimeout(() => {
  console.error('bench:ai: aborted after 5 minutes');
  process.exit(2);
}, 5 * 60_000);
abort.unref();

type Store = 'memory' | 'mongo';
interface Plan {
  store: Store;
  n: number;
  /** Enqueue at this rate (tasks/s) instead of as fast as possible. */
  rate?: number;
}
interface RoundResult {
  system: 'huddle pool' | 'BullMQ';
  mode: string;
  store: Store;
  tasks: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Records when each task's result was stored; resolves when all are. */
class Tracker {
  readonly enqueuedAt = new Map<string, number>();
  readonly latencies: number[] = [];
  #expected: number;
  #resolve!: () => void;
  readonly done: Promise<void>;
  lastAt = 0;
  constructor(expected: number) {
    this.#expected = expected;
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
  }
  stored(taskId: string): void {
    const at = performance.now();
    const started = this.enqueuedAt.get(taskId);
    if (started === undefined) return;
    this.enqueuedAt.delete(taskId);
    this.latencies.push(at - started);
    this.lastAt = at;
    if (this.latencies.length === this.#expected) this.#resolve();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function makeTasks(n: number): AiTask[] {
  const meetingId = randomUUID();
  const userId = randomUUID();
  return Array.from({ length: n }, () => ({
    type: 'sentiment',
    meetingId,
    payload: { text: 'no-op' },
    taskId: randomUUID(),
    userId,
    attempt: 1,
    enqueuedAt: new Date().toISOString(),
  }));
}

const NOOP_RESULT = { score: 0, comparative: 0, label: 'neutral' as const };
const log = pino({ level: 'warn' });

function sinkFor(store: Store, db: Db | undefined, tracker: Tracker): ResultSink {
  return {
    async save(task, results, at) {
      const inserted = store === 'mongo' ? await storeResult(db!, task, results, at) : true;
      tracker.stored(task.taskId);
      return inserted;
    },
  };
}

/** Waits so that batch `i` (of BATCH tasks) starts at its paced time. */
async function pace(plan: Plan, i: number, started: number): Promise<void> {
  if (!plan.rate) return;
  const due = started + (i / plan.rate) * 1000;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

const batchOf = (plan: Plan) => (plan.rate ? Math.max(1, Math.round(plan.rate / 100)) : BATCH);
const modeOf = (plan: Plan) => (plan.rate ? `paced ${plan.rate}/s` : 'flood');

async function runPool(plan: Plan, db: Db | undefined): Promise<RoundResult> {
  const { store, n } = plan;
  const keys = queueKeys({ stream: `bench:ai:${randomBytes(4).toString('hex')}:tasks` });
  const producer = new Redis(REDIS_URL);
  const tracker = new Tracker(n);
  const pool = await AiWorkerPool.create({
    redis: REDIS_URL,
    log,
    keys,
    concurrency: CONCURRENCY,
    prefetch: PREFETCH,
    cpuThreads: 1,
    metricsRegistry: new Registry(),
    processors: { sentiment: async () => NOOP_RESULT },
    resultSink: sinkFor(store, db, tracker),
  });
  const tasks = makeTasks(n);
  const started = performance.now();
  for (let i = 0; i < tasks.length; i += batchOf(plan)) {
    await pace(plan, i, started);
    const pipeline = producer.pipeline();
    const now = performance.now();
    for (const task of tasks.slice(i, i + batchOf(plan))) {
      tracker.enqueuedAt.set(task.taskId, now);
      pipeline.xadd(keys.stream, '*', ...Object.entries(encodeTaskEntry(task)).flat());
    }
    await pipeline.exec();
  }
  await tracker.done;
  const seconds = (tracker.lastAt - started) / 1000;
  await pool.close();
  await producer.del(keys.stream, keys.dead, keys.delayed);
  producer.disconnect();
  return result('huddle pool', plan, seconds, tracker);
}

async function runBull(plan: Plan, db: Db | undefined): Promise<RoundResult> {
  const { store, n } = plan;
  const url = new URL(REDIS_URL);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const name = `bench-ai-${randomBytes(4).toString('hex')}`;
  const prefix = 'bench:bull';
  const tracker = new Tracker(n);
  const sink = sinkFor(store, db, tracker);
  const queue = new Queue(name, { connection, prefix });
  const worker = new Worker(
    name,
    async (job) => {
      const task = job.data as AiTask;
      const results = NOOP_RESULT;
      await sink.save(task, results, new Date());
      return results;
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  const tasks = makeTasks(n);
  const started = performance.now();
  for (let i = 0; i < tasks.length; i += batchOf(plan)) {
    await pace(plan, i, started);
    const now = performance.now();
    const batch = tasks.slice(i, i + batchOf(plan));
    for (const task of batch) tracker.enqueuedAt.set(task.taskId, now);
    await queue.addBulk(batch.map((task) => ({ name: task.type, data: task, opts: { removeOnComplete: true, removeOnFail: true } })));
  }
  await tracker.done;
  const seconds = (tracker.lastAt - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return result('BullMQ', plan, seconds, tracker);
}

function result(system: RoundResult['system'], plan: Plan, seconds: number, t: Tracker): RoundResult {
  const n = plan.n;
  return {
    system,
    mode: modeOf(plan),
    store: plan.store,
    tasks: n,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round(n / seconds),
    p50Ms: Math.round(percentile(t.latencies, 50) * 10) / 10,
    p99Ms: Math.round(percentile(t.latencies, 99) * 10) / 10,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ---------------------------------------------------------------------------------------

const load = loadavg()[0]!.toFixed(2);
const rows: RoundResult[] = [];
const plans: Plan[] = [{ store: 'memory', n: TASKS }];
if (PACED_TASKS > 0) plans.push({ store: 'memory', n: PACED_TASKS, rate: RATE });
if (MONGO_TASKS > 0) plans.push({ store: 'mongo', n: MONGO_TASKS });

let mongo: MongoClient | undefined;
let db: Db | undefined;
const dbName = `huddle_bench_ai_${randomBytes(4).toString('hex')}`;
try {
  if (MONGO_TASKS > 0) {
    mongo = new MongoClient(MONGODB_URL, { serverSelectionTimeoutMS: 5_000 });
    db = mongo.db(dbName);
    await ensureResultIndexes(db);
  }
  // Warm-up (JIT, connections, scripts), not reported.
  await runPool({ store: 'memory', n: 500 }, db);
  await runBull({ store: 'memory', n: 500 }, db);
  for (const plan of plans) {
    for (let r = 0; r < ROUNDS; r++) {
      for (const run of [runPool, runBull]) {
        const row = await run(plan, db);
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }
} finally {
  if (db) {
    for (const c of await db.collections().catch(() => [])) await c.drop().catch(() => {});
    await db.dropDatabase().catch(() => {});
  }
  await mongo?.close();
}

const summary = plans.map((plan) => {
  const mine = (system: RoundResult['system']) =>
    rows.filter((r) => r.store === plan.store && r.mode === modeOf(plan) && r.system === system);
  const ours = median(mine('huddle pool').map((r) => r.perSecond));
  const bull = median(mine('BullMQ').map((r) => r.perSecond));
  const p99 = (system: RoundResult['system']) => Math.round(median(mine(system).map((r) => r.p99Ms)) * 10) / 10;
  return {
    label: `${plan.store}, ${modeOf(plan)}`,
    paced: plan.rate !== undefined,
    ours,
    bull,
    ratio: Math.round((ours / bull) * 100) / 100,
    oursP99: p99('huddle pool'),
    bullP99: p99('BullMQ'),
  };
});

const table = [
  '| store | enqueue | system | tasks | seconds | tasks/s | p50 ms | p99 ms |',
  '|---|---|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.store} | ${r.mode} | ${r.system} | ${r.tasks} | ${r.seconds} | ${r.perSecond} | ${r.p50Ms} | ${r.p99Ms} |`),
].join('\n');
const ratios = summary
  .map((s) =>
    s.paced
      ? `- ${s.label}: p99 enqueue→result **${s.oursP99} ms** (pool) vs **${s.bullP99} ms** (BullMQ); both keep up (${s.ours} vs ${s.bull} tasks/s)`
      : `- ${s.label}: huddle pool / BullMQ throughput (medians ${s.ours} vs ${s.bull} tasks/s) = **${s.ratio}** ` +
        `(goal ≥ 1.0: ${s.ratio >= 1 ? 'met' : 'not met'}); p99 enqueue→result ${s.oursP99} ms vs ${s.bullP99} ms (queueing)`,
  )
  .join('\n');
console.log(`\n${table}\n\n${ratios}`);

if (args.get('no-write') !== 'true') {
  const section = `## AI worker pool

Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:ai\` (\`node scripts/bench/ai.ts --tasks=${TASKS} --paced-tasks=${PACED_TASKS} --rate=${RATE} --mongo-tasks=${MONGO_TASKS} --rounds=${ROUNDS} --concurrency=${CONCURRENCY}\`),
on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}); 1-minute load average ${load} when the run started.
Loopback only: producer, worker, Redis and FerretDB share the machine. Same process, same Redis, concurrency ${CONCURRENCY} for both.

${table}

${ratios}

How it is measured (scripts/bench/ai.ts): a no-op \`sentiment\` processor; tasks are enqueued in pipelined batches of
${BATCH} while the worker runs (*flood*), or ${RATE} tasks/s in batches of ${Math.max(1, Math.round(RATE / 100))} every 10 ms (*paced*) (XADD of the protocol entry for the pool, \`Queue.addBulk\` for BullMQ); each result goes
through the same sink before the task is acknowledged — *memory*: a map in the process; *mongo*: the pool's insert-once by
task id into FerretDB (\`ai_results\` with its indexes). Throughput = tasks / (last result stored − first enqueue); latency = result stored − enqueue, per
task. Completed work is removed in both (XACK + XDEL; \`removeOnComplete\`). The pool additionally validates each task and
result with zod and PUBLISHes \`ai.result\`, as in production. Rounds alternate; the ratio uses medians. The *mongo* rows
are bound by FerretDB (SQLite, one writer: ~570 inserts/s measured alone), so both systems are close there; production
MongoDB is much faster.
`;
  const path = `${root}BENCHMARKS.md`;
  writeBenchmarkSection(path, '## AI worker pool', section);
  console.log('BENCHMARKS.md updated');
}
process.exit(0);

import { randomBytes } from 'node:crypto';
import { hostname, availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { decodeTaskEntry, redisKeys, type AiResultPublication, type AiTask } from '@huddle/protocol';
import { CpuPool } from './cpu-pool.ts';
import { describeFailure, type TaskFailureCode } from './errors.ts';
import { createAiMetrics, type AiMetrics } from './metrics.ts';
import { defaultProcessors } from './processors/index.ts';
import type { ProcessorContext, ProcessorMap, TranscribeProviderOptions } from './processors/types.ts';
import {
  AI_TASK_ENTRY_FIELD,
  entryField,
  entryHistory,
  queueKeys,
  TaskQueue,
  type AttemptRecord,
  type QueueKeys,
  type RawEntry,
} from './queue.ts';
import { ensureResultIndexes, storeResult, validateResults } from './results-store.ts';

/** Where results go; the default stores once per task id in MongoDB `ai_results` (see results-store.ts). */
export interface ResultSink {
  /** Stores a validated result once per task; true when this call stored it. */
  save(task: AiTask, results: unknown, at: Date): Promise<boolean>;
}

/** Options of the AI worker pool. Durations are in milliseconds. */
export interface AiWorkerPoolOptions {
  /** A Redis URL or client; the pool opens its own two RESP2 connections from it (commands, blocking reads). */
  redis: Redis | string;
  /**
   * A MongoDB URL or client (a client stays open on close; a URL's client is closed).
   * Required unless `resultSink` replaces the store (then `summary` has no history to read).
   */
  mongo?: MongoClient | string;
  /** Database name; default: the one in the URL/client. */
  mongoDbName?: string;
  log: Logger;
  /** This consumer's name in the group; default `{hostname}:{pid}:{random}` (unique per process run). */
  consumer?: string;
  /** Tasks run at the same time; default os.availableParallelism(). */
  concurrency?: number;
  /**
   * Entries read ahead beyond the free slots (default 0: XREADGROUP COUNT ≤ free slots).
   * Read-ahead saves round trips under load; read-ahead entries are pending for this
   * consumer, leased like running ones, and handed back on close.
   */
  prefetch?: number;
  /** Attempts before a task goes to the dead letters (default 5). */
  maxAttempts?: number;
  /** First retry delay (default 1,000); doubles per attempt, with jitter. */
  backoffBaseMs?: number;
  /** Largest retry delay (default 60,000). */
  backoffMaxMs?: number;
  /** A pending entry idle this long belongs to a dead consumer and is reclaimed (default 60,000). */
  claimIdleMs?: number;
  /** Longest one attempt may run (default 30,000); must be below claimIdleMs. */
  taskTimeoutMs?: number;
  /** On close, how long running tasks may finish before they are handed back (default 10,000). */
  drainTimeoutMs?: number;
  /** XREADGROUP BLOCK time (default 2,000). */
  blockMs?: number;
  /** How often due retries are moved into the stream (default 100). */
  promoteIntervalMs?: number;
  /** How often idle entries are reclaimed (default claimIdleMs / 4, at most 15,000). */
  reclaimIntervalMs?: number;
  /** Stream, group, dead-letter and delayed-set names (defaults: redisKeys.aiTasks…). */
  keys?: Partial<QueueKeys>;
  /** Worker threads for CPU-heavy processors (default cores − 1, 1…4). */
  cpuThreads?: number;
  /** The transcription provider (url unset = `transcribe` tasks are dead-lettered as not configured). */
  transcribe?: Partial<TranscribeProviderOptions>;
  /** Replace processors per type (tests, extensions). */
  processors?: Partial<ProcessorMap>;
  /** Where metrics register (default prom-client's global registry). */
  metricsRegistry?: Registry;
  /** Replace the MongoDB result store (benchmarks). */
  resultSink?: ResultSink;
  /** Publish `ai.result` on the meeting's channel (default true). */
  publishResults?: boolean;
}

interface Running {
  entry: RawEntry;
  controller: AbortController;
  done: Promise<void>;
}

const SHUTDOWN = 'shutdown';

/** Retry delay before attempt `attempt + 1`: base·2^(attempt−1), capped, times a jitter in [0.75, 1]. */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random()): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // "Equal-ish" jitter: spreads retries of tasks that failed together, while the ranges
  // of consecutive attempts ([0.75d, d], [1.5d, 2d], …) never overlap: delays still grow.
  return Math.round(exp * (0.75 + 0.25 * random));
}

/**
 * The AI worker pool: reads tasks from the Redis stream with XREADGROUP (BLOCK, COUNT ≤
 * free slots) on a dedicated connection, runs at most `concurrency` at a time, stores each
 * result (once per task_id) before XACK + XDEL, publishes it on the meeting's channel,
 * retries failures through a delayed ZSET with exponential backoff, dead-letters tasks
 * that are unrecoverable or out of attempts, renews the lease of its work and reclaims
 * the work of dead consumers (XAUTOCLAIM). `close()` drains and is idempotent.
 */
export class AiWorkerPool {
  readonly consumer: string;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly keys: QueueKeys;
  readonly metrics: AiMetrics;
  readonly #log: Logger;
  readonly #cmd: Redis;
  readonly #block: Redis;
  readonly #queue: TaskQueue;
  readonly #mongo: MongoClient | undefined;
  readonly #ownsMongo: boolean;
  readonly #sink: ResultSink;
  readonly #cpu: CpuPool;
  readonly #processors: ProcessorMap;
  readonly #ctx: Omit<ProcessorContext, 'signal' | 'log'>;
  readonly #opts: Required<
    Pick<
      AiWorkerPoolOptions,
      | 'maxAttempts'
      | 'backoffBaseMs'
      | 'backoffMaxMs'
      | 'claimIdleMs'
      | 'taskTimeoutMs'
      | 'drainTimeoutMs'
      | 'blockMs'
      | 'promoteIntervalMs'
      | 'reclaimIntervalMs'
      | 'publishResults'
    >
  >;
  readonly #running = new Map<string, Running>();
  readonly #buffer: RawEntry[] = [];
  #slotWaiter: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #stopping = false;
  #readLoop: Promise<void> = Promise.resolve();
  readonly #timers: NodeJS.Timeout[] = [];
  #acks: string[] = [];
  #ackFlush: Promise<void> | undefined;

  private constructor(init: {
    options: AiWorkerPoolOptions;
    cmd: Redis;
    block: Redis;
    mongo: MongoClient | undefined;
    ownsMongo: boolean;
    db: Db | undefined;
    sink: ResultSink;
    cpu: CpuPool;
  }) {
    const o = init.options;
    this.#log = o.log.child({ component: 'ai-pool' });
    this.consumer = o.consumer ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? availableParallelism()));
    this.prefetch = Math.max(0, Math.floor(o.prefetch ?? 0));
    this.keys = queueKeys(o.keys);
    this.#cmd = init.cmd;
    this.#block = init.block;
    this.#queue = new TaskQueue(init.cmd, this.keys);
    this.#mongo = init.mongo;
    this.#ownsMongo = init.ownsMongo;
    this.#sink = init.sink;
    this.#cpu = init.cpu;
    this.#processors = { ...defaultProcessors, ...o.processors } as ProcessorMap;
    const claimIdleMs = o.claimIdleMs ?? 60_000;
    this.#opts = {
      maxAttempts: Math.max(1, o.maxAttempts ?? 5),
      backoffBaseMs: o.backoffBaseMs ?? 1_000,
      backoffMaxMs: o.backoffMaxMs ?? 60_000,
      claimIdleMs,
      taskTimeoutMs: o.taskTimeoutMs ?? Math.min(30_000, Math.floor(claimIdleMs / 2)),
      drainTimeoutMs: o.drainTimeoutMs ?? 10_000,
      blockMs: o.blockMs ?? 2_000,
      promoteIntervalMs: o.promoteIntervalMs ?? 100,
      reclaimIntervalMs: o.reclaimIntervalMs ?? Math.min(15_000, Math.max(50, Math.floor(claimIdleMs / 4))),
      publishResults: o.publishResults ?? true,
    };
    this.#ctx = {
      db: init.db as Db,
      cpu: init.cpu,
      transcribe: {
        model: 'whisper-1',
        requestTimeoutMs: Math.max(1_000, this.#opts.taskTimeoutMs - 1_000),
        ...o.transcribe,
      },
    };
    this.metrics = createAiMetrics(o.metricsRegistry, () => this.#queue.depth());
  }

  /** Connects, creates the group and the result indexes, and starts consuming. */
  static async create(options: AiWorkerPoolOptions): Promise<AiWorkerPool> {
    const base = typeof options.redis === 'string' ? undefined : options.redis;
    const url = typeof options.redis === 'string' ? options.redis : undefined;
    // Own RESP2 connections: ioredis 6 defaults reshape stream replies under RESP3.
    // A few retries per command, so start-up fails fast and a Redis outage surfaces as errors
    // (entries stay pending and are reclaimed) instead of an unbounded offline queue.
    const redisOptions = { protocol: 2, maxRetriesPerRequest: 2 } as const;
    const open = () => (base ? base.duplicate(redisOptions) : new Redis(url!, redisOptions));
    const cmd = open();
    const block = open();
    for (const conn of [cmd, block]) {
      conn.on('error', (error) => options.log.warn({ err: error.message, component: 'ai-pool' }, 'redis connection error'));
    }
    let mongo: MongoClient | undefined;
    let ownsMongo = false;
    let db: Db | undefined;
    const cpu = CpuPool.create(options.cpuThreads);
    try {
      if (options.mongo === undefined && !options.resultSink) throw new Error('AiWorkerPool needs `mongo` or a `resultSink`');
      if (options.mongo !== undefined) {
        ownsMongo = typeof options.mongo === 'string';
        mongo = typeof options.mongo === 'string' ? new MongoClient(options.mongo, { serverSelectionTimeoutMS: 5_000 }) : options.mongo;
        db = mongo.db(options.mongoDbName);
      }
      const sink: ResultSink = options.resultSink ?? {
        save: (task, results, at) => storeResult(db!, task, results, at),
      };
      if (!options.resultSink) await ensureResultIndexes(db!);
      const pool = new AiWorkerPool({ options, cmd, block, mongo, ownsMongo, db, sink, cpu });
      await pool.#queue.ensureGroup();
      pool.#start();
      pool.#log.info({ consumer: pool.consumer, concurrency: pool.concurrency, stream: pool.keys.stream }, 'ai pool started');
      return pool;
    } catch (error) {
      cmd.disconnect();
      block.disconnect();
      await cpu.close();
      if (ownsMongo) await mongo?.close();
      throw error;
    }
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.#running.size;
  }

  #start(): void {
    this.#readLoop = this.#read();
    this.#every(this.#opts.promoteIntervalMs, async () => {
      const moved = await this.#queue.promoteDue(100);
      if (moved > 0) this.#log.debug({ moved }, 'due retries moved to the stream');
    });
    this.#every(this.#opts.reclaimIntervalMs, () => this.#reclaim());
    this.#every(Math.max(50, Math.floor(this.#opts.claimIdleMs / 3)), () => this.#renew());
  }

  /** Runs `fn` every `ms` without overlapping runs; errors are logged, never thrown. */
  #every(ms: number, fn: () => Promise<void>): void {
    const tick = async () => {
      if (this.#stopping) return;
      try {
        await fn();
      } catch (error) {
        if (!this.#stopping) this.#log.warn({ err: (error as Error).message }, 'ai pool background step failed');
      }
      if (!this.#stopping) this.#timers.push(setTimeout(tick, ms));
    };
    this.#timers.push(setTimeout(tick, ms));
  }

  get #free(): number {
    return this.concurrency + this.prefetch - this.#running.size - this.#buffer.length;
  }

  async #read(): Promise<void> {
    while (!this.#stopping) {
      if (this.#free <= 0) {
        await new Promise<void>((resolve) => {
          this.#slotWaiter = resolve;
        });
        continue;
      }
      let entries: RawEntry[];
      try {
        entries = await this.#queue.readNew(this.#block, this.consumer, this.#free, this.#opts.blockMs);
      } catch (error) {
        if (this.#stopping) break;
        this.#log.warn({ err: (error as Error).message }, 'XREADGROUP failed; retrying');
        await sleep(500);
        continue;
      }
      for (const entry of entries) this.#dispatch(entry);
    }
  }

  async #reclaim(): Promise<void> {
    const free = this.#free;
    if (free > 0) {
      const entries = await this.#queue.reclaim(this.consumer, this.#opts.claimIdleMs, free);
      for (const entry of entries) {
        if (this.#running.has(entry.id) || this.#buffer.some((b) => b.id === entry.id)) continue;
        this.metrics.reclaimed.inc();
        this.#log.info({ entryId: entry.id }, 'reclaimed an idle task');
        this.#dispatch(entry);
      }
    }
    await this.#queue.pruneConsumers(this.consumer, this.#opts.claimIdleMs * 10);
  }

  async #renew(): Promise<void> {
    const ids = [...this.#running.keys(), ...this.#buffer.map((b) => b.id)];
    const lost = await this.#queue.renew(this.consumer, ids);
    if (lost.length > 0) this.#log.warn({ entryIds: lost }, 'tasks were taken over by another consumer');
  }

  #dispatch(entry: RawEntry): void {
    if (this.#running.size < this.concurrency && !this.#stopping) this.#run(entry);
    else this.#buffer.push(entry);
  }

  #run(entry: RawEntry): void {
    const controller = new AbortController();
    const running: Running = { entry, controller, done: Promise.resolve() };
    this.#running.set(entry.id, running);
    this.metrics.inFlight.set(this.#running.size);
    running.done = this.#process(entry, controller).finally(() => {
      this.#running.delete(entry.id);
      this.metrics.inFlight.set(this.#running.size);
      const next = this.#stopping ? undefined : this.#buffer.shift();
      if (next) this.#run(next);
      const waiter = this.#slotWaiter;
      this.#slotWaiter = undefined;
      waiter?.();
    });
  }

  async #process(entry: RawEntry, controller: AbortController): Promise<void> {
    const startedAt = new Date();
    const history = entryHistory(entry.fields);
    const decoded = decodeTaskEntry(entry.fields);
    if (!decoded.ok) {
      this.metrics.received.inc({ type: 'unknown' });
      await this.#deadLetter(entry, undefined, history, startedAt, 'invalid_task', decoded.error);
      return;
    }
    const task = decoded.task;
    const log = this.#log.child({ taskId: task.taskId, meetingId: task.meetingId, type: task.type, attempt: task.attempt });
    this.metrics.received.inc({ type: task.type });
    const processor = this.#processors[task.type] as ((t: AiTask, c: ProcessorContext) => Promise<unknown>) | undefined;
    if (!processor) {
      await this.#deadLetter(entry, task, history, startedAt, 'unknown_type', `no processor for type ${task.type}`);
      return;
    }
    const timer = setTimeout(
      () => controller.abort(new DOMException(`the task ran longer than ${this.#opts.taskTimeoutMs} ms`, 'TimeoutError')),
      this.#opts.taskTimeoutMs,
    );
    const stopTimer = this.metrics.processSeconds.startTimer({ type: task.type });
    try {
      // The race frees the slot on timeout/shutdown even if a processor ignores its signal.
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      aborted.catch(() => {});
      const results = validateResults(
        task.type,
        await Promise.race([processor(task, { ...this.#ctx, signal: controller.signal, log }), aborted]),
      );
      const at = new Date();
      let inserted: boolean;
      try {
        inserted = await Promise.race([this.#sink.save(task, results, at), aborted]);
      } catch (error) {
        if (controller.signal.aborted) throw error;
        throw Object.assign(new Error(`storing the result failed: ${(error as Error).message}`), { code: 'store_failed' });
      }
      if (inserted && this.#opts.publishResults) await this.#publish(task, results, at, log);
      await this.#ack(entry.id);
      this.metrics.done.inc({ type: task.type });
      this.metrics.latencySeconds.observe({ type: task.type }, (Date.now() - Date.parse(task.enqueuedAt)) / 1000);
      log.debug({ duplicate: !inserted }, 'task done');
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason === SHUTDOWN) {
        await this.#handBack(entry, log);
        return;
      }
      const failure = describeFailure(error);
      const code: TaskFailureCode = (error as { code?: TaskFailureCode }).code === 'store_failed' ? 'store_failed' : failure.code;
      const record: AttemptRecord = {
        attempt: task.attempt,
        consumer: this.consumer,
        startedAt: startedAt.toISOString(),
        failedAt: new Date().toISOString(),
        code,
        error: failure.message,
      };
      if (failure.unrecoverable || task.attempt >= this.#opts.maxAttempts) {
        await this.#deadLetter(entry, task, [...history, record], startedAt, code, failure.message, record);
        return;
      }
      const delayMs = backoffDelayMs(task.attempt, this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
      try {
        const next = JSON.stringify({ ...task, attempt: task.attempt + 1 });
        const moved = await this.#queue.retry(entry.id, this.consumer, delayMs, next, [...history, record]);
        this.metrics.retried.inc({ type: task.type, code });
        log.warn({ code, err: failure.message, delayMs, moved }, 'task failed; retry scheduled');
      } catch (redisError) {
        // The entry stays pending: it is reclaimed after claimIdleMs and tried again.
        log.error({ err: (redisError as Error).message }, 'could not schedule a retry');
      }
    } finally {
      clearTimeout(timer);
      stopTimer();
    }
  }

  async #publish(task: AiTask, results: unknown, at: Date, log: Logger): Promise<void> {
    const event = {
      type: 'ai.result',
      meetingId: task.meetingId,
      taskId: task.taskId,
      userId: task.userId,
      analysisType: task.type,
      at: at.toISOString(),
      results,
    } as AiResultPublication;
    try {
      await this.#cmd.publish(redisKeys.meetingEvents(task.meetingId), JSON.stringify(event));
    } catch (error) {
      // Pub/sub is at most once anyway; the stored result is the source of truth.
      log.warn({ err: (error as Error).message }, 'could not publish ai.result');
    }
  }

  /** XACK + XDEL, batched: every success in the same tick shares one MULTI. */
  #ack(id: string): Promise<void> {
    this.#acks.push(id);
    this.#ackFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const ids = this.#acks;
      this.#acks = [];
      this.#ackFlush = undefined;
      await this.#queue.complete(ids);
    });
    return this.#ackFlush;
  }

  async #deadLetter(
    entry: RawEntry,
    task: AiTask | undefined,
    history: AttemptRecord[],
    startedAt: Date,
    code: TaskFailureCode,
    message: string,
    record?: AttemptRecord,
  ): Promise<void> {
    const attempts = record
      ? history
      : [
          ...history,
          {
            attempt: task?.attempt ?? 1,
            consumer: this.consumer,
            startedAt: startedAt.toISOString(),
            failedAt: new Date().toISOString(),
            code,
            error: message,
          },
        ];
    const fields: Record<string, string> = {
      [AI_TASK_ENTRY_FIELD]: entryField(entry.fields, AI_TASK_ENTRY_FIELD) ?? JSON.stringify(entry.fields),
      history: JSON.stringify(attempts),
      code,
      error: message,
      attempts: String(attempts.length),
      sourceId: entry.id,
      deadAt: new Date().toISOString(),
    };
    if (task) {
      fields.taskId = task.taskId;
      fields.type = task.type;
    }
    try {
      await this.#queue.deadLetter(entry.id, this.consumer, fields);
      this.metrics.dead.inc({ type: task?.type ?? 'unknown', code });
      this.#log.warn({ entryId: entry.id, taskId: task?.taskId, code, err: message, attempts: attempts.length }, 'task dead-lettered');
    } catch (error) {
      this.#log.error({ entryId: entry.id, err: (error as Error).message }, 'could not dead-letter a task');
    }
  }

  async #handBack(entry: RawEntry, log: Logger): Promise<void> {
    try {
      await this.#queue.handBack(entry, this.consumer);
      this.metrics.handedBack.inc();
      log.info({ entryId: entry.id }, 'unfinished task handed back');
    } catch (error) {
      // Still pending under our name: another consumer reclaims it after claimIdleMs.
      log.error({ entryId: entry.id, err: (error as Error).message }, 'could not hand back a task');
    }
  }

  /**
   * Drains: stops reading, hands back tasks not yet started, lets running tasks finish
   * for up to drainTimeoutMs and hands back the rest, then closes what the pool opened.
   * Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#block.disconnect(); // ends a blocked XREADGROUP at once
    this.#slotWaiter?.();
    await this.#readLoop;
    const waiting = this.#buffer.splice(0);
    await Promise.all(waiting.map((entry) => this.#handBack(entry, this.#log)));
    const running = [...this.#running.values()];
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(running.map((r) => r.done)).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.#opts.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      for (const r of this.#running.values()) r.controller.abort(SHUTDOWN);
      await Promise.all([...this.#running.values()].map((r) => r.done));
    }
    await this.#ackFlush;
    await this.#cpu.close();
    await this.#cmd.quit().catch(() => this.#cmd.disconnect());
    if (this.#ownsMongo) await this.#mongo?.close();
    this.#log.info({ consumer: this.consumer, handedBack: waiting.length, drained }, 'ai pool closed');
  }
}

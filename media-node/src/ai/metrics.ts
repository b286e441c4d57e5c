import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';

/** The pool's Prometheus metrics (huddle_ai_*). */
export interface AiMetrics {
  received: Counter<'type'>;
  inFlight: Gauge;
  done: Counter<'type'>;
  retried: Counter<'type' | 'code'>;
  dead: Counter<'type' | 'code'>;
  handedBack: Counter;
  reclaimed: Counter;
  processSeconds: Histogram<'type'>;
  latencySeconds: Histogram<'type'>;
  queued: Gauge<'state'>;
}

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Creates (or reuses, when a second pool shares the registry) the pool's metrics.
 * `depth` feeds the `huddle_ai_tasks_queued` gauge at scrape time.
 */
export function createAiMetrics(
  registry: Registry = defaultRegistry,
  depth?: () => Promise<{ waiting: number; pending: number; delayed: number }>,
): AiMetrics {
  const registers = [registry];
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  return {
    received: getOrCreate(registry, 'huddle_ai_tasks_received_total', () => new Counter({
      name: 'huddle_ai_tasks_received_total', help: 'Task deliveries taken from the stream (new and reclaimed)', labelNames: ['type'], registers,
    })),
    inFlight: getOrCreate(registry, 'huddle_ai_tasks_in_flight', () => new Gauge({
      name: 'huddle_ai_tasks_in_flight', help: 'Tasks running now', registers,
    })),
    done: getOrCreate(registry, 'huddle_ai_tasks_done_total', () => new Counter({
      name: 'huddle_ai_tasks_done_total', help: 'Tasks whose result is stored', labelNames: ['type'], registers,
    })),
    retried: getOrCreate(registry, 'huddle_ai_tasks_retried_total', () => new Counter({
      name: 'huddle_ai_tasks_retried_total', help: 'Failed attempts scheduled for a retry', labelNames: ['type', 'code'], registers,
    })),
    dead: getOrCreate(registry, 'huddle_ai_tasks_dead_total', () => new Counter({
      name: 'huddle_ai_tasks_dead_total', help: 'Tasks moved to the dead-letter stream', labelNames: ['type', 'code'], registers,
    })),
    handedBack: getOrCreate(registry, 'huddle_ai_tasks_handed_back_total', () => new Counter({
      name: 'huddle_ai_tasks_handed_back_total', help: 'Unfinished tasks re-queued on shutdown', registers,
    })),
    reclaimed: getOrCreate(registry, 'huddle_ai_tasks_reclaimed_total', () => new Counter({
      name: 'huddle_ai_tasks_reclaimed_total', help: 'Tasks taken over from idle consumers (XAUTOCLAIM)', registers,
    })),
    processSeconds: getOrCreate(registry, 'huddle_ai_task_process_seconds', () => new Histogram({
      name: 'huddle_ai_task_process_seconds', help: 'Time one attempt ran', labelNames: ['type'], buckets, registers,
    })),
    latencySeconds: getOrCreate(registry, 'huddle_ai_task_latency_seconds', () => new Histogram({
      name: 'huddle_ai_task_latency_seconds', help: 'Enqueue to stored result', labelNames: ['type'], buckets, registers,
    })),
    queued: getOrCreate(registry, 'huddle_ai_tasks_queued', () => new Gauge({
      name: 'huddle_ai_tasks_queued',
      help: 'Tasks in the queue by state: waiting (not delivered), pending (delivered, unacknowledged), delayed (retry later)',
      labelNames: ['state'],
      registers,
      async collect() {
        if (!depth) return;
        const d = await depth().catch(() => undefined);
        if (!d) return;
        this.set({ state: 'waiting' }, d.waiting);
        this.set({ state: 'pending' }, d.pending);
        this.set({ state: 'delayed' }, d.delayed);
      },
    })),
  };
}

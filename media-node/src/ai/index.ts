// The AI worker pool's public surface (the media node wires AiWorkerPool in).
export { AiWorkerPool, backoffDelayMs, type AiWorkerPoolOptions, type ResultSink } from './pool.ts';
export { loadAiWorkerConfig } from './config.ts';
export { enqueueTask, type EnqueueResult } from './enqueue.ts';
export { listInsights, ensureResultIndexes, AI_RESULTS_COLLECTION, type ListInsightsOptions } from './results-store.ts';
export { UnrecoverableError, RetryableError, type TaskFailureCode } from './errors.ts';
export { queueKeys, type QueueKeys, type AttemptRecord } from './queue.ts';
export type { Processor, ProcessorMap, ProcessorContext } from './processors/types.ts';

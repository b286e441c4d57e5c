import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { AiResultsOf, AiTask, AiTaskType } from '@huddle/protocol';
import type { CpuPool } from '../cpu-pool.ts';

/** Settings of the `transcribe` provider (OpenAI-compatible `/v1/audio/transcriptions`). */
export interface TranscribeProviderOptions {
  /** Base URL, e.g. `https://api.openai.com` or a whisper.cpp server; unset = not configured. */
  url?: string;
  /** Bearer key (optional for self-hosted servers). */
  apiKey?: string;
  /** Model name sent to the provider (default `whisper-1`). */
  model: string;
  /** Timeout of one provider request, ms. */
  requestTimeoutMs: number;
}

/** What a processor may use; `signal` aborts on the task's timeout or on shutdown. */
export interface ProcessorContext {
  signal: AbortSignal;
  log: Logger;
  db: Db;
  cpu: CpuPool;
  transcribe: TranscribeProviderOptions;
}

/** The task of one analysis type. */
export type AiTaskOf<T extends AiTaskType> = Extract<AiTask, { type: T }>;

/**
 * Turns a task into its results. Throw UnrecoverableError for input that can never
 * succeed (dead-lettered at once); any other error is retried with backoff.
 * Results are validated against protocol's schema before they are stored.
 */
export type Processor<T extends AiTaskType> = (task: AiTaskOf<T>, ctx: ProcessorContext) => Promise<AiResultsOf<T>>;

/** One processor per analysis type. */
export type ProcessorMap = { [K in AiTaskType]: Processor<K> };

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { detectSpeech } from './processors/speech-detector.ts';
import type { summarise } from './processors/textrank.ts';

/** A job for the worker threads (see cpu-worker.ts). */
export type CpuJob =
  | { kind: 'speech'; audioBase64: string; sampleRate: number }
  | { kind: 'summary'; texts: string[]; maxSentences: number };

/** What each job kind returns. */
export interface CpuResults {
  speech: Awaited<ReturnType<typeof detectSpeech>>;
  summary: ReturnType<typeof summarise>;
}

/**
 * A small pool of worker threads for CPU-heavy processor work. `run` honours an abort
 * signal (the task's timeout); `close()` waits for running jobs and is idempotent.
 */
export class CpuPool {
  readonly #piscina: Piscina;
  #closing: Promise<void> | undefined;

  private constructor(piscina: Piscina) {
    this.#piscina = piscina;
  }

  /** Starts `threads` worker threads (default: one per core beyond the first, at least 1, at most 4). */
  static create(threads = Math.min(4, Math.max(1, availableParallelism() - 1))): CpuPool {
    const piscina = new Piscina({
      filename: new URL('./cpu-worker.ts', import.meta.url).href,
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 30_000,
    });
    return new CpuPool(piscina);
  }

  /** Runs one job in a worker thread. */
  async run<K extends CpuJob['kind']>(job: Extract<CpuJob, { kind: K }>, signal?: AbortSignal): Promise<CpuResults[K]> {
    return (await this.#piscina.run(job, signal ? { signal } : {})) as CpuResults[K];
  }

  /** Stops the threads after running jobs end. */
  close(): Promise<void> {
    this.#closing ??= this.#piscina.close();
    return this.#closing;
  }
}

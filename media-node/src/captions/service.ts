import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database } from '@huddle/db';
import { errorMessage } from '../signaling/types.ts';
import type { CaptionsConfig } from './config.ts';
import { createCaptionsMetrics, type CaptionsMetrics } from './metrics.ts';
import { RoomCaptions } from './room-captions.ts';
import type { CaptionsRoom } from './types.ts';
import { SileroVad } from './vad.ts';

/** What the captions of a node share. */
export interface CaptionsServiceOptions {
  config: CaptionsConfig;
  nodeId: string;
  /** Commands (XADD, SET NX); not a subscriber connection. */
  redis: Redis;
  /** MongoDB with `ai_results` and `chat_messages`. */
  mongo: Db;
  db: Database;
  log: Logger;
  metricsRegistry: Registry;
  /** The AI task stream transcribe and summary tasks go to. */
  stream: string;
  /** How long `close()` lets end-of-meeting work finish, ms (default 15,000). */
  drainTimeoutMs?: number;
}

/**
 * Captions on one node: the loaded Silero VAD (one ONNX session for every speaker), the
 * connections, settings and metrics every room's captions share, and the end-of-meeting
 * work that outlives rooms. `create()` never fails for want of a VAD: without one (model
 * failed to load, CAPTIONS_ENABLED=false) rooms tap no audio, and summaries still work.
 */
export class CaptionsService {
  readonly config: CaptionsConfig;
  readonly nodeId: string;
  readonly redis: Redis;
  readonly mongo: Db;
  readonly db: Database;
  readonly log: Logger;
  readonly stream: string;
  readonly metrics: CaptionsMetrics;
  /** The VAD, unless captions are disabled on this node or the model did not load. */
  readonly vad: SileroVad | undefined;
  readonly #drainTimeoutMs: number;
  readonly #work = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(options: CaptionsServiceOptions, vad: SileroVad | undefined) {
    this.config = options.config;
    this.nodeId = options.nodeId;
    this.redis = options.redis;
    this.mongo = options.mongo;
    this.db = options.db;
    this.log = options.log;
    this.stream = options.stream;
    this.metrics = createCaptionsMetrics(options.metricsRegistry);
    this.vad = vad;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 15_000;
  }

  /** Loads the VAD (when captions are enabled) and returns the service. */
  static async create(options: CaptionsServiceOptions): Promise<CaptionsService> {
    let vad: SileroVad | undefined;
    if (options.config.enabled) {
      try {
        vad = await SileroVad.load();
      } catch (error) {
        options.log.error({ err: errorMessage(error) }, 'the Silero VAD did not load; live captions are off on this node');
      }
    }
    return new CaptionsService(options, vad);
  }

  /** The captions of a room that just opened; reads the meeting's setting and taps audio if allowed. */
  open(room: CaptionsRoom): RoomCaptions {
    const captions = new RoomCaptions(this, room);
    void captions.refresh();
    return captions;
  }

  /** Keeps work that must finish before shutdown (end-of-meeting summaries, last utterances). */
  track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'captions background work failed'));
    this.#work.add(tracked);
    void tracked.finally(() => this.#work.delete(tracked));
  }

  /** Resolves when tracked work is done (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Waits for tracked work (bounded by drainTimeoutMs), then releases the VAD; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#drainTimeoutMs)))]);
      clearTimeout(timer);
      await this.vad?.close();
    })();
    return this.#closing;
  }
}

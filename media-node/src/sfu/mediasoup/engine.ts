import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SfuCounts, SfuEngine, SfuRoomEvents } from '../engine.ts';
import type { MediasoupConfig } from './config.ts';
import { type MediasoupMetrics, registerMediasoupMetrics } from './metrics.ts';
import { MediasoupRoom } from './room.ts';
import { WorkerSet, type WorkerTally } from './workers.ts';

/**
 * The mediasoup SFU of a media node (mediasoup-demo's Server): owns the workers
 * (WorkerSet) and one MediasoupRoom per open meeting; a room drops out of the engine
 * when it closes. `available` while at least one worker lives. `close()` is idempotent:
 * rooms first, then workers.
 */
export class MediasoupEngine implements SfuEngine {
  readonly backend = 'mediasoup' as const;
  readonly config: MediasoupConfig;
  readonly #log: Logger;
  readonly #rooms = new Map<string, MediasoupRoom>();
  #workers: WorkerSet | undefined;
  #closed = false;

  private constructor(config: MediasoupConfig, log: Logger) {
    this.config = config;
    this.#log = log;
  }

  /**
   * Starts the workers and registers the metrics.
   * @throws Error when the worker binary is missing or no worker starts.
   */
  static async create(config: MediasoupConfig, log: Logger, registry: Registry): Promise<MediasoupEngine> {
    const engine = new MediasoupEngine(config, log);
    let metrics: MediasoupMetrics | undefined;
    engine.#workers = await WorkerSet.create(config, log, {
      died: () => metrics?.workerDeaths.inc(),
      rtpBytes: (slot, received, sent) => {
        metrics?.rtpBytesReceived.inc({ worker: String(slot) }, received);
        metrics?.rtpBytesSent.inc({ worker: String(slot) }, sent);
      },
    });
    metrics = registerMediasoupMetrics(registry, () => engine.#workers);
    return engine;
  }

  get available(): boolean {
    return !this.#closed && (this.#workers?.live().length ?? 0) > 0;
  }

  async openRoom(meetingId: string, events: SfuRoomEvents): Promise<MediasoupRoom> {
    const workers = this.#workers;
    if (!workers || !this.available) throw new Error('no live mediasoup worker');
    const room = await MediasoupRoom.create({ meetingId, workers, config: this.config, log: this.#log.child({ meetingId }), events });
    if (this.#closed) {
      await room.close();
      throw new Error('the SFU engine closed');
    }
    this.#rooms.set(meetingId, room);
    room.onClose(() => {
      if (this.#rooms.get(meetingId) === room) this.#rooms.delete(meetingId);
    });
    return room;
  }

  counts(): SfuCounts {
    const counts: SfuCounts = { rooms: this.#rooms.size, transports: 0, producers: 0, consumers: 0 };
    for (const t of this.workerTallies()) {
      counts.transports += t.transports;
      counts.producers += t.producers;
      counts.consumers += t.consumers;
    }
    return counts;
  }

  /** What each worker slot holds now (all zero for a slot without a live worker). */
  workerTallies(): WorkerTally[] {
    return (this.#workers?.slots ?? []).map((s) => (s.worker ? { ...s.tally } : { routers: 0, transports: 0, producers: 0, consumers: 0 }));
  }

  /** Process ids of the live workers, by slot (undefined: none in that slot right now). */
  workerPids(): (number | undefined)[] {
    return (this.#workers?.slots ?? []).map((s) => (s.worker && !s.worker.closed ? s.worker.pid : undefined));
  }

  /**
   * CPU time a worker has used since it started (user + system, getResourceUsage), ms.
   * @throws Error when the slot has no live worker.
   */
  async workerCpuMs(slot = 0): Promise<number> {
    const worker = this.#workers?.slots[slot]?.worker;
    if (!worker) throw new Error(`no live worker in slot ${slot}`);
    const usage = await worker.getResourceUsage();
    return usage.ru_utime + usage.ru_stime;
  }

  /** Worker CPU over the last sampling interval, % of one core, by slot. */
  workerCpuPercents(): number[] {
    return (this.#workers?.slots ?? []).map((s) => s.cpuPercent);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#rooms.values()].map((room) => room.close()));
    this.#rooms.clear();
    this.#workers?.close();
  }
}

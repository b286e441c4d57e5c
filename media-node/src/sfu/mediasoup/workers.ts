import type { Logger } from 'pino';
import { createWorker, type types } from 'mediasoup';
import { errorMessage } from '../../signaling/types.ts';
import type { MediasoupConfig } from './config.ts';
import type { WorkerLoad } from './placement.ts';
import { afterWorkerDeath, restartDelayMs } from './restart-policy.ts';
import { resolveWorkerBin } from './worker-bin.ts';

/** Counts of what one worker holds, kept from mediasoup's observer events. */
export interface WorkerTally {
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
}

/** One worker slot: the live worker (if any) and what it carries. */
export interface WorkerSlot {
  readonly slot: number;
  worker: types.Worker | undefined;
  webRtcServer: types.WebRtcServer | undefined;
  tally: WorkerTally;
  /** CPU over the last sampling interval, % of one core. */
  cpuPercent: number;
  /** The worker's cumulative CPU time at the last sample, ms. */
  lastCpuMs: number | undefined;
  /** Client-facing transports (WebRTC, plain) whose RTP bytes are sampled; last seen totals. */
  readonly sampled: Map<types.Transport, { received: number; sent: number }>;
  /** When the current worker started (performance.now(), ms). */
  startedAt: number;
  /** Deaths in a row of workers that died soon after starting (restart-policy.ts). */
  quickDeaths: number;
}

/** What the worker set tells its owner. */
export interface WorkerSetEvents {
  /** A worker died (its routers have already closed). */
  died(slot: number, error: Error): void;
  /** RTP bytes moved since the last sample, per worker. */
  rtpBytes(slot: number, received: number, sent: number): void;
}


/**
 * The node's mediasoup workers: one process per slot, each with a WebRtcServer on its
 * own UDP+TCP port (MEDIASOUP_PORT_BASE + slot). A worker that dies is replaced in the
 * same slot, with backoff while it fails to start or keeps dying soon after starting
 * (restart-policy.ts); the process never exits over it.
 * Samples worker CPU (getResourceUsage) and RTP bytes every MEDIASOUP_STATS_INTERVAL_MS.
 * `close()` is idempotent.
 */
export class WorkerSet {
  readonly slots: WorkerSlot[];
  readonly #config: MediasoupConfig;
  readonly #log: Logger;
  readonly #events: WorkerSetEvents;
  readonly #workerBin: string;
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  #statsTimer: NodeJS.Timeout | undefined;
  #lastSampleAt = 0;
  #sampling = false;
  #closed = false;
  /** Worker deaths since start. */
  deaths = 0;

  private constructor(config: MediasoupConfig, log: Logger, events: WorkerSetEvents, workerBin: string) {
    this.#config = config;
    this.#log = log;
    this.#events = events;
    this.#workerBin = workerBin;
    this.slots = Array.from({ length: config.workers }, (_, slot) => ({
      slot,
      worker: undefined,
      webRtcServer: undefined,
      tally: { routers: 0, transports: 0, producers: 0, consumers: 0 },
      cpuPercent: 0,
      lastCpuMs: undefined,
      sampled: new Map(),
      startedAt: 0,
      quickDeaths: 0,
    }));
  }

  /**
   * Starts every worker. Slots that fail to start are retried in the background.
   * @throws Error when the worker binary is missing or no worker starts at all.
   */
  static async create(config: MediasoupConfig, log: Logger, events: WorkerSetEvents): Promise<WorkerSet> {
    const workerBin = resolveWorkerBin(config.workerBin);
    const set = new WorkerSet(config, log, events, workerBin);
    const started = await Promise.allSettled(set.slots.map((slot) => set.#start(slot)));
    const failures = started.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
    if (failures.length === set.slots.length) {
      set.close();
      throw new Error(`no mediasoup worker started: ${failures[0]}`);
    }
    for (const [i, result] of started.entries()) {
      if (result.status === 'rejected') set.#scheduleRestart(set.slots[i]!, 0);
    }
    set.#lastSampleAt = performance.now();
    set.#statsTimer = setInterval(() => void set.#sample(), config.statsIntervalMs);
    set.#statsTimer.unref();
    return set;
  }

  /** Slots with a live worker. */
  live(): WorkerSlot[] {
    return this.slots.filter((s) => s.worker && !s.worker.closed && s.webRtcServer);
  }

  /** Load figures of the live workers, for placement. */
  loads(): WorkerLoad[] {
    return this.live().map((s) => ({ slot: s.slot, consumers: s.tally.consumers, cpuPercent: s.cpuPercent, routers: s.tally.routers }));
  }

  async #start(slot: WorkerSlot): Promise<void> {
    const c = this.#config;
    const worker = await createWorker({
      logLevel: c.logLevel,
      rtcMinPort: c.rtcMinPort,
      rtcMaxPort: c.rtcMaxPort,
      workerBin: this.#workerBin,
      appData: { slot: slot.slot },
    });
    if (this.#closed) {
      worker.close();
      return;
    }
    let webRtcServer: types.WebRtcServer;
    try {
      const port = c.portBase === 0 ? { portRange: { min: c.rtcMinPort, max: c.rtcMaxPort } } : { port: c.portBase + slot.slot };
      const listen = { ip: c.listenIp, ...(c.announcedAddress ? { announcedAddress: c.announcedAddress } : {}), ...port };
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ...listen },
          { protocol: 'tcp', ...listen },
        ],
      });
    } catch (error) {
      worker.close();
      throw error;
    }
    slot.worker = worker;
    slot.webRtcServer = webRtcServer;
    slot.tally = { routers: 0, transports: 0, producers: 0, consumers: 0 };
    slot.cpuPercent = 0;
    slot.lastCpuMs = undefined;
    slot.sampled.clear();
    slot.startedAt = performance.now();
    this.#observe(slot, worker);
    worker.on('died', (error) => this.#onDied(slot, worker, error));
    this.#log.info({ slot: slot.slot, pid: worker.pid }, 'mediasoup worker started');
  }

  /** Keeps the slot's tally from mediasoup's observer events (routers → transports → producers, consumers). */
  #observe(slot: WorkerSlot, worker: types.Worker): void {
    const t = () => slot.tally;
    worker.observer.on('newrouter', (router) => {
      if (slot.worker !== worker) return;
      t().routers += 1;
      router.observer.once('close', () => {
        if (slot.worker === worker) t().routers -= 1;
      });
      router.observer.on('newtransport', (transport) => {
        t().transports += 1;
        if (transport.type === 'webrtc' || transport.type === 'plain') slot.sampled.set(transport, { received: 0, sent: 0 });
        transport.observer.once('close', () => {
          slot.sampled.delete(transport);
          if (slot.worker === worker) t().transports -= 1;
        });
        transport.observer.on('newproducer', (producer) => {
          t().producers += 1;
          producer.observer.once('close', () => {
            if (slot.worker === worker) t().producers -= 1;
          });
        });
        transport.observer.on('newconsumer', (consumer) => {
          t().consumers += 1;
          consumer.observer.once('close', () => {
            if (slot.worker === worker) t().consumers -= 1;
          });
        });
      });
    });
  }

  #onDied(slot: WorkerSlot, worker: types.Worker, error: Error): void {
    if (slot.worker !== worker) return;
    this.deaths += 1;
    slot.worker = undefined;
    slot.webRtcServer = undefined;
    slot.tally = { routers: 0, transports: 0, producers: 0, consumers: 0 };
    slot.cpuPercent = 0;
    slot.sampled.clear();
    const { attempt, quickDeaths } = afterWorkerDeath(performance.now() - slot.startedAt, slot.quickDeaths);
    slot.quickDeaths = quickDeaths;
    this.#log.error(
      { slot: slot.slot, pid: worker.pid, err: error.message, restartInMs: restartDelayMs(attempt), quickDeaths },
      'mediasoup worker died; starting a replacement',
    );
    this.#events.died(slot.slot, error);
    if (!this.#closed) this.#scheduleRestart(slot, attempt);
  }

  #scheduleRestart(slot: WorkerSlot, attempt: number): void {
    const delay = restartDelayMs(attempt);
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (this.#closed) return;
      this.#start(slot).catch((error: unknown) => {
        this.#log.error({ slot: slot.slot, err: errorMessage(error), attempt }, 'mediasoup worker failed to start; retrying');
        if (!this.#closed) this.#scheduleRestart(slot, attempt + 1);
      });
    }, delay);
    this.#restartTimers.add(timer);
  }

  /** CPU % of each worker since the last sample, and RTP byte deltas of its transports. */
  async #sample(): Promise<void> {
    if (this.#sampling || this.#closed) return;
    this.#sampling = true;
    try {
      const now = performance.now();
      const wallMs = Math.max(1, now - this.#lastSampleAt);
      this.#lastSampleAt = now;
      await Promise.all(this.live().map((slot) => this.#sampleSlot(slot, wallMs)));
    } finally {
      this.#sampling = false;
    }
  }

  async #sampleSlot(slot: WorkerSlot, wallMs: number): Promise<void> {
    const worker = slot.worker;
    if (!worker) return;
    try {
      const usage = await worker.getResourceUsage();
      const cpuMs = usage.ru_utime + usage.ru_stime;
      const previous = slot.lastCpuMs;
      slot.lastCpuMs = cpuMs;
      if (previous !== undefined) slot.cpuPercent = Math.max(0, ((cpuMs - previous) / wallMs) * 100);
    } catch {
      return; // The worker is closing; its death is handled elsewhere.
    }
    let received = 0;
    let sent = 0;
    await Promise.all(
      [...slot.sampled].map(async ([transport, last]) => {
        try {
          const [stats] = (await transport.getStats()) as types.BaseTransportStats[];
          if (!stats) return;
          received += Math.max(0, stats.rtpBytesReceived - last.received);
          sent += Math.max(0, stats.rtpBytesSent - last.sent);
          last.received = stats.rtpBytesReceived;
          last.sent = stats.rtpBytesSent;
        } catch {
          // Closed between listing and asking: its last bytes are not counted.
        }
      }),
    );
    if (received > 0 || sent > 0) this.#events.rtpBytes(slot.slot, received, sent);
  }

  /** Closes every worker (their routers close with them) and stops restarting; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#statsTimer);
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    for (const slot of this.slots) {
      slot.worker?.close();
      slot.worker = undefined;
      slot.webRtcServer = undefined;
      slot.sampled.clear();
    }
  }
}

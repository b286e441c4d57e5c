import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from './codecs.ts';
import type { MediasoupConfig } from './config.ts';
import { chooseRouter, pickLeastLoadedWorker } from './placement.ts';
import type { WorkerSet } from './workers.ts';

/** One router of a meeting. */
export interface RouterEntry {
  router: types.Router;
  /** The worker slot it runs on. */
  slot: number;
  webRtcServer: types.WebRtcServer;
  /** Consumers on its transports now (client, pipe and audio-tap consumers). */
  consumers: number;
}

/** What the routers tell their room. Calls never throw. */
export interface MeetingRoutersEvents {
  /** A router closed because its worker died: the meeting's media must be rebuilt. */
  workerClosed(slot: number): void;
  /** ActiveSpeakerObserver: the dominant speaker's microphone producer. */
  dominantSpeaker(producerId: string): void;
  /** AudioLevelObserver: the loudest microphones (empty: silence), dBov. */
  volumes(levels: { producerId: string; volume: number }[]): void;
}

/** AudioLevelObserver: speakers reported per interval, and the level below which a microphone counts as silent (dBov). */
const AUDIO_LEVEL_ENTRIES_MAX = 16;
const AUDIO_LEVEL_THRESHOLD_DBOV = -70;

/**
 * The routers of one meeting on this node: a main router (on the least-loaded worker
 * when the meeting opened) with the meeting's ActiveSpeakerObserver and
 * AudioLevelObserver, and more routers on other workers once the meeting's routers
 * pass MEDIASOUP_ROUTER_CONSUMERS_MAX consumers. A producer reaches another router
 * through pipeToRouter, once per (producer, router). `close()` is idempotent and closes
 * the observers, then the routers (which close everything on them).
 */
export class MeetingRouters {
  readonly main: RouterEntry;
  readonly routers: RouterEntry[];
  readonly #workers: WorkerSet;
  readonly #config: MediasoupConfig;
  readonly #log: Logger;
  readonly #events: MeetingRoutersEvents;
  readonly #activeSpeaker: types.ActiveSpeakerObserver;
  readonly #audioLevels: types.AudioLevelObserver;
  /** pipeToRouter calls done or under way, by `${producerId}:${routerId}`. */
  readonly #pipes = new Map<string, Promise<void>>();
  /** A new router being created: placements wait for it rather than create two. */
  #growing: Promise<RouterEntry> | undefined;
  #closed = false;

  private constructor(
    main: RouterEntry,
    observers: { activeSpeaker: types.ActiveSpeakerObserver; audioLevels: types.AudioLevelObserver },
    deps: { workers: WorkerSet; config: MediasoupConfig; log: Logger; events: MeetingRoutersEvents },
  ) {
    this.main = main;
    this.routers = [main];
    this.#workers = deps.workers;
    this.#config = deps.config;
    this.#log = deps.log;
    this.#events = deps.events;
    this.#activeSpeaker = observers.activeSpeaker;
    this.#audioLevels = observers.audioLevels;
  }

  /**
   * Creates the main router on the least-loaded live worker, and its observers.
   * @throws Error when no worker lives.
   */
  static async create(deps: { workers: WorkerSet; config: MediasoupConfig; log: Logger; events: MeetingRoutersEvents }): Promise<MeetingRouters> {
    const slot = pickLeastLoadedWorker(deps.workers.loads());
    if (slot === undefined) throw new Error('no live mediasoup worker');
    const main = await createRouterEntry(deps.workers, slot);
    try {
      const activeSpeaker = await main.router.createActiveSpeakerObserver({ interval: 300 });
      const audioLevels = await main.router.createAudioLevelObserver({
        maxEntries: AUDIO_LEVEL_ENTRIES_MAX,
        threshold: AUDIO_LEVEL_THRESHOLD_DBOV,
        interval: deps.config.audioLevelIntervalMs,
      });
      const routers = new MeetingRouters(main, { activeSpeaker, audioLevels }, deps);
      routers.#watch(main);
      activeSpeaker.on('dominantspeaker', ({ producer }) => deps.events.dominantSpeaker(producer.id));
      audioLevels.on('volumes', (volumes) => deps.events.volumes(volumes.map((v) => ({ producerId: v.producer.id, volume: v.volume }))));
      audioLevels.on('silence', () => deps.events.volumes([]));
      return routers;
    } catch (error) {
      main.router.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** RTP capabilities clients load into their device (every router has the same codecs). */
  get rtpCapabilities(): types.RtpCapabilities {
    return this.main.router.rtpCapabilities;
  }

  /**
   * The router a new participant's transports go on (see `chooseRouter`): an existing
   * one below the consumer threshold, or a new one on another worker.
   */
  async routerForParticipant(): Promise<RouterEntry> {
    if (this.#growing) await this.#growing.catch(() => undefined);
    if (this.#closed) throw new Error('the meeting routers are closed');
    const choice = chooseRouter(this.routers, this.#config.routerConsumersMax, this.#workers.loads());
    if (choice.kind === 'existing') return this.routers[choice.index]!;
    const growing = createRouterEntry(this.#workers, choice.slot).then((entry) => {
      if (this.#closed) {
        entry.router.close();
        throw new Error('the meeting routers are closed');
      }
      this.routers.push(entry);
      this.#watch(entry);
      this.#log.info({ slot: entry.slot, routers: this.routers.length }, 'meeting spread to another worker');
      return entry;
    });
    this.#growing = growing;
    try {
      return await growing;
    } finally {
      if (this.#growing === growing) this.#growing = undefined;
    }
  }

  /**
   * Makes `producerId` (on `from`) consumable on `to` through pipeToRouter; a no-op
   * when they are the same router or the pipe exists.
   * @throws Error from mediasoup (e.g. the producer closed meanwhile).
   */
  async pipe(producerId: string, from: RouterEntry, to: RouterEntry): Promise<void> {
    if (from === to) return;
    const key = `${producerId}:${to.router.id}`;
    let piping = this.#pipes.get(key);
    if (!piping) {
      piping = from.router
        .pipeToRouter({
          producerId,
          router: to.router,
          enableSctp: false,
          listenInfo: { protocol: 'udp', ip: '127.0.0.1', portRange: { min: this.#config.rtcMinPort, max: this.#config.rtcMaxPort } },
        })
        .then(({ pipeProducer }) => {
          pipeProducer?.observer.once('close', () => this.#pipes.delete(key));
        });
      this.#pipes.set(key, piping);
      piping.catch(() => this.#pipes.delete(key));
    }
    await piping;
  }

  /** Adds a microphone to the observers (piped to the main router first when needed). */
  async observeMicrophone(producerId: string, from: RouterEntry): Promise<void> {
    await this.pipe(producerId, from, this.main);
    await Promise.all([this.#activeSpeaker.addProducer({ producerId }), this.#audioLevels.addProducer({ producerId })]);
  }

  #watch(entry: RouterEntry): void {
    const { router } = entry;
    router.on('workerclose', () => {
      if (!this.#closed) this.#events.workerClosed(entry.slot);
    });
    router.observer.once('close', () => {
      const index = this.routers.indexOf(entry);
      if (index > 0) this.routers.splice(index, 1);
    });
    router.observer.on('newtransport', (transport) => {
      transport.observer.on('newconsumer', (consumer) => {
        entry.consumers += 1;
        consumer.observer.once('close', () => {
          entry.consumers -= 1;
        });
      });
    });
  }

  /** Closes the observers and every router of the meeting; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#activeSpeaker.close();
    this.#audioLevels.close();
    for (const entry of [...this.routers].reverse()) entry.router.close();
    this.#pipes.clear();
  }
}

async function createRouterEntry(workers: WorkerSet, slot: number): Promise<RouterEntry> {
  const target = workers.slots[slot];
  if (!target?.worker || !target.webRtcServer) throw new Error(`mediasoup worker ${slot} is not running`);
  const router = await target.worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { slot } });
  return { router, slot, webRtcServer: target.webRtcServer, consumers: 0 };
}

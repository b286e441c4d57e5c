import type { Logger } from 'pino';
import { errors as mediasoupErrors, type types } from 'mediasoup';
import type { MediaSource, MediaState, RoomMedia, SfuRequest } from '@huddle/protocol';
import { errorMessage, fail, type Result } from '../../signaling/types.ts';
import type { AudioTapSink, SfuParticipant, SfuRoom, SfuRoomEvents } from '../engine.ts';
import { AudioTap } from './audio-tap.ts';
import { CONSUMER_PRIORITY } from './codecs.ts';
import type { MediasoupConfig } from './config.ts';
import { MeetingRouters, type MeetingRoutersEvents, type RouterEntry } from './meeting-routers.ts';
import { MediasoupPeer, type ProducerEntry, type TransportEntry } from './peer.ts';
import { handleRequest, type RequestRoom } from './requests.ts';
import type { WorkerSet } from './workers.ts';

/** What a room is built from (the engine's shared parts). */
export interface MediasoupRoomDeps {
  meetingId: string;
  workers: WorkerSet;
  config: MediasoupConfig;
  log: Logger;
  events: SfuRoomEvents;
}

/** How long a room whose worker died waits for a live worker to rebuild on, ms. */
const REBUILD_WAIT_MS = 30_000;
const REBUILD_RETRY_MS = 250;

/** The participant state field a source drives (`screenAudio` drives none). */
function mediaField(source: MediaSource): keyof MediaState | undefined {
  switch (source) {
    case 'mic':
      return 'audio';
    case 'camera':
      return 'video';
    case 'screen':
      return 'screen';
    case 'screenAudio':
      return undefined;
  }
}

/**
 * One meeting's SFU on this node (mediasoup-demo's Room): its routers and observers
 * (MeetingRouters), its participants' transports, producers and consumers
 * (MediasoupPeer), and the captions audio tap. The server consumes every producer on
 * every other participant's receiving transport (consumers start paused). When the
 * worker under one of its routers dies, the room rebuilds its routers on live workers
 * and tells every participant `sfu.restart`. `close()` is idempotent: tap, peers,
 * then routers.
 */
export class MediasoupRoom implements SfuRoom, RequestRoom {
  readonly meetingId: string;
  readonly config: MediasoupConfig;
  readonly #workers: WorkerSet;
  readonly #log: Logger;
  readonly #events: SfuRoomEvents;
  readonly #peers = new Map<string, MediasoupPeer>();
  /** Every producer of the meeting, for observers and ownership checks. */
  readonly #producers = new Map<string, ProducerEntry>();
  readonly #closeListeners: (() => void)[] = [];
  #routers: MeetingRouters;
  #sink: AudioTapSink | undefined;
  #tap: AudioTap | undefined;
  /** Settles when a rebuild after a worker death is over; requests wait for it. */
  #ready: Promise<void> = Promise.resolve();
  #rebuilding = false;
  #closed = false;

  private constructor(deps: MediasoupRoomDeps, routers: MeetingRouters) {
    this.meetingId = deps.meetingId;
    this.config = deps.config;
    this.#workers = deps.workers;
    this.#log = deps.log;
    this.#events = deps.events;
    this.#routers = routers;
  }

  /**
   * Opens the meeting's main router on the least-loaded worker.
   * @throws Error when no worker lives.
   */
  static async create(deps: MediasoupRoomDeps): Promise<MediasoupRoom> {
    const holder: { room?: MediasoupRoom } = {};
    const routers = await MeetingRouters.create({ ...deps, events: routerEvents(holder) });
    const room = new MediasoupRoom(deps, routers);
    holder.room = room;
    deps.log.info({ slot: routers.main.slot }, 'SFU room opened');
    return room;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs once when the room has closed. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  media(): RoomMedia {
    return { backend: 'mediasoup', available: !this.#closed && this.#workers.live().length > 0 };
  }

  async join(participant: SfuParticipant): Promise<void> {
    if (this.#closed) return;
    this.#peers.get(participant.userId)?.close();
    this.#peers.set(participant.userId, new MediasoupPeer(participant));
  }

  async leave(userId: string, peerId: string): Promise<void> {
    const peer = this.#peers.get(userId);
    if (!peer || peer.participant.peerId !== peerId) return;
    this.#peers.delete(userId);
    peer.close();
  }

  async handle(userId: string, request: SfuRequest): Promise<Result> {
    await this.#ready;
    const peer = this.#peers.get(userId);
    if (this.#closed) return fail('unavailable', 'the meeting has no SFU on this node any more');
    if (!peer) return fail('not_joined', 'send join first');
    try {
      return await handleRequest(this, peer, request);
    } catch (error) {
      // mediasoup objects that closed under the request (a worker died, the peer left).
      if (error instanceof mediasoupErrors.WorkerClosedError || this.#rebuilding) {
        return fail('conflict', 'the media changed while the request ran; try again');
      }
      throw error;
    }
  }

  async muteMicrophone(userId: string, byUserId: string): Promise<boolean> {
    await this.#ready;
    const mic = this.#peers.get(userId)?.producerOf('mic');
    if (!mic) return false;
    if (!mic.producer.paused) {
      await mic.producer.pause();
      this.#events.notify(userId, { method: 'sfu.producerPaused', data: { producerId: mic.producer.id, source: 'mic', byUserId } });
      this.#events.mediaChanged(userId, { audio: false });
    }
    return true;
  }

  async removeParticipant(userId: string): Promise<void> {
    const peer = this.#peers.get(userId);
    if (!peer) return;
    this.#peers.delete(userId);
    peer.close();
  }

  async setAudioTap(sink: AudioTapSink | undefined): Promise<void> {
    await this.#ready;
    if (sink === this.#sink && (this.#tap || !sink)) return;
    this.#sink = sink;
    this.#tap?.close();
    this.#tap = undefined;
    if (sink && !this.#closed) await this.#openTap(sink);
  }

  async end(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tap?.close();
    this.#tap = undefined;
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#routers.close();
    this.#producers.clear();
    this.#log.info('SFU room closed');
    for (const listener of this.#closeListeners.splice(0)) listener();
  }

  // -------------------------------------------------------------------------------------
  // RequestRoom: what request handlers call back into
  // -------------------------------------------------------------------------------------

  rtpCapabilities(): types.RtpCapabilities {
    return this.#routers.rtpCapabilities;
  }

  async placePeer(peer: MediasoupPeer): Promise<RouterEntry> {
    if (!peer.router || peer.router.router.closed) peer.router = await this.#routers.routerForParticipant();
    return peer.router;
  }

  ownerOf(id: string): string | undefined {
    for (const peer of this.#peers.values()) {
      if (peer.transports.has(id) || peer.producers.has(id) || peer.consumers.has(id)) return peer.userId;
    }
    return undefined;
  }

  transportCreated(peer: MediasoupPeer, entry: TransportEntry): void {
    peer.addTransport(entry);
    if (entry.direction !== 'recv') return;
    const existing = [...this.#producers.values()].filter((p) => p.userId !== peer.userId);
    // After the response: the client learns the transport before its first consumer.
    setImmediate(() => {
      for (const producer of existing) void this.#consume(producer, peer, entry);
    });
  }

  producerCreated(peer: MediasoupPeer, entry: ProducerEntry): void {
    const { producer, source } = entry;
    peer.addProducer(entry);
    this.#producers.set(producer.id, entry);
    producer.observer.once('close', () => {
      this.#producers.delete(producer.id);
      this.#announce(peer, source, false);
    });
    this.#announce(peer, source, !producer.paused);
    const targets = [...this.#peers.values()].filter((p) => p !== peer).flatMap((p) => p.recvTransports().map((t) => ({ peer: p, transport: t })));
    setImmediate(() => {
      for (const target of targets) void this.#consume(entry, target.peer, target.transport);
      if (source === 'mic') void this.#observeMicrophone(entry);
    });
  }

  producerPausedChanged(peer: MediasoupPeer, entry: ProducerEntry): void {
    this.#announce(peer, entry.source, !entry.producer.paused);
  }

  // -------------------------------------------------------------------------------------
  // Media flow
  // -------------------------------------------------------------------------------------

  /** Participant state follows producers (mic → audio, camera → video, screen → screen). */
  #announce(peer: MediasoupPeer, source: MediaSource, on: boolean): void {
    const field = mediaField(source);
    if (!field || peer.closed || this.#closed || this.#peers.get(peer.userId) !== peer) return;
    this.#events.mediaChanged(peer.userId, { [field]: on });
  }

  /** Consumes a producer on a participant's receiving transport (paused) and announces it. */
  async #consume(producerEntry: ProducerEntry, peer: MediasoupPeer, transportEntry: TransportEntry): Promise<void> {
    const { producer, source } = producerEntry;
    const { transport, router } = transportEntry;
    try {
      if (producer.closed || transport.closed || peer.closed) return;
      await this.#routers.pipe(producer.id, producerEntry.router, router);
      const rtpCapabilities = transportEntry.rtpCapabilities!;
      if (!router.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
        this.#log.debug({ userId: peer.userId, producerId: producer.id }, 'the device cannot consume this producer');
        return;
      }
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities,
        paused: true,
        appData: { userId: peer.userId, source },
      });
      if (peer.closed || transport.closed) {
        consumer.close();
        return;
      }
      if (source === 'screen') await consumer.setPriority(CONSUMER_PRIORITY.screen);
      peer.addConsumer({ consumer, source, producerUserId: producerEntry.userId, transportId: transport.id });
      this.#wireConsumer(peer, consumer);
      this.#events.notify(peer.userId, {
        method: 'sfu.newConsumer',
        data: {
          consumerId: consumer.id,
          producerId: producer.id,
          transportId: transport.id,
          userId: producerEntry.userId,
          source,
          kind: consumer.kind,
          rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown>,
          type: consumer.type,
          producerPaused: consumer.producerPaused,
        },
      });
    } catch (error) {
      // The producer, the transport or a router closed meanwhile: nothing to consume.
      this.#log.debug({ userId: peer.userId, producerId: producer.id, err: errorMessage(error) }, 'consume skipped');
    }
  }

  /** Tells the consumer's owner what happens to it. */
  #wireConsumer(peer: MediasoupPeer, consumer: types.Consumer): void {
    const notify = (n: Parameters<SfuRoomEvents['notify']>[1]) => {
      if (peer.consumers.has(consumer.id) && !this.#closed) this.#events.notify(peer.userId, n);
    };
    const consumerId = consumer.id;
    consumer.on('producerclose', () => notify({ method: 'sfu.consumerClosed', data: { consumerId, reason: 'producer_closed' } }));
    consumer.on('producerpause', () => notify({ method: 'sfu.consumerPaused', data: { consumerId } }));
    consumer.on('producerresume', () => notify({ method: 'sfu.consumerResumed', data: { consumerId } }));
    consumer.on('layerschange', (layers) =>
      notify({
        method: 'sfu.consumerLayersChanged',
        data: { consumerId, layers: layers ? { spatialLayer: layers.spatialLayer, temporalLayer: layers.temporalLayer ?? null } : null },
      }),
    );
  }

  /** A microphone joins the speaker observers and, when captions run, the audio tap. */
  async #observeMicrophone(entry: ProducerEntry): Promise<void> {
    const routers = this.#routers;
    try {
      if (entry.producer.closed || routers.closed) return;
      await routers.observeMicrophone(entry.producer.id, entry.router);
      if (this.#tap && !this.#tap.closed) await this.#tap.add(entry.producer.id, entry.userId);
    } catch (error) {
      this.#log.debug({ producerId: entry.producer.id, err: errorMessage(error) }, 'microphone not observed');
    }
  }

  async #openTap(sink: AudioTapSink): Promise<void> {
    const routers = this.#routers;
    const tap = await AudioTap.create(routers.main.router, sink, this.#log);
    if (this.#closed || this.#sink !== sink || routers !== this.#routers) {
      tap.close();
      return;
    }
    this.#tap = tap;
    const microphones = [...this.#producers.values()].filter((p) => p.source === 'mic');
    await Promise.all(
      microphones.map(async (mic) => {
        try {
          await routers.pipe(mic.producer.id, mic.router, routers.main);
          await tap.add(mic.producer.id, mic.userId);
        } catch (error) {
          this.#log.debug({ producerId: mic.producer.id, err: errorMessage(error) }, 'microphone not tapped');
        }
      }),
    );
  }

  // -------------------------------------------------------------------------------------
  // Worker death
  // -------------------------------------------------------------------------------------

  /** A router of the meeting lost its worker: rebuild (once at a time). */
  onWorkerClosed(slot: number): void {
    if (this.#closed || this.#rebuilding) return;
    this.#rebuilding = true;
    this.#log.warn({ slot }, 'worker under the meeting died; rebuilding its media');
    this.#ready = this.#rebuild()
      .catch((error: unknown) => {
        this.#log.error({ err: errorMessage(error) }, 'rebuilding the meeting media failed; closing its SFU room');
        void this.close();
      })
      .finally(() => {
        this.#rebuilding = false;
      });
  }

  async #rebuild(): Promise<void> {
    this.#tap?.close();
    this.#tap = undefined;
    // Closing a peer's transports closes its producers, which announces their media off.
    for (const peer of this.#peers.values()) peer.closeMedia();
    this.#producers.clear();
    this.#routers.close();
    const deadline = Date.now() + REBUILD_WAIT_MS;
    for (;;) {
      if (this.#closed) return;
      try {
        this.#routers = await MeetingRouters.create({
          workers: this.#workers,
          config: this.config,
          log: this.#log,
          events: routerEvents({ room: this }),
        });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, REBUILD_RETRY_MS));
      }
    }
    if (this.#closed) {
      this.#routers.close();
      return;
    }
    if (this.#sink) await this.#openTap(this.#sink);
    this.#log.info({ slot: this.#routers.main.slot }, 'meeting media rebuilt; asking participants to restart');
    for (const peer of this.#peers.values()) this.#events.notify(peer.userId, { method: 'sfu.restart', data: { reason: 'worker_died' } });
  }

  // -------------------------------------------------------------------------------------
  // Observers
  // -------------------------------------------------------------------------------------

  /** ActiveSpeakerObserver → the dominant speaker's user. */
  onDominantSpeaker(producerId: string): void {
    const owner = this.#producers.get(producerId)?.userId;
    if (owner && !this.#closed) this.#events.activeSpeaker(owner);
  }

  /** AudioLevelObserver → levels per user (already throttled by the observer's interval). */
  onVolumes(levels: { producerId: string; volume: number }[]): void {
    if (this.#closed) return;
    const byUser = levels.flatMap(({ producerId, volume }) => {
      const userId = this.#producers.get(producerId)?.userId;
      return userId ? [{ userId, volume: Math.max(-127, Math.min(0, volume)) }] : [];
    });
    this.#events.audioLevels(byUser);
  }
}

/** Router events routed to the room (which exists once its first routers do). */
function routerEvents(holder: { room?: MediasoupRoom }): MeetingRoutersEvents {
  return {
    workerClosed: (slot) => setImmediate(() => holder.room?.onWorkerClosed(slot)),
    dominantSpeaker: (producerId) => holder.room?.onDominantSpeaker(producerId),
    volumes: (levels) => holder.room?.onVolumes(levels),
  };
}

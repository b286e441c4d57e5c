import { Device, type types } from 'mediasoup-client';
import { sfuResponseSchemas, type MediaSource, type RtpCapabilitiesInput, type RtpParametersInput, type SignalingNotification } from '@huddle/protocol';
import { AdapterEvents, type LocalSource, type MediaAdapter, type MediaAdapterEvent, type MediaSession } from './adapter.ts';
import { LocalSources } from './local-sources.ts';

// Media over a mediasoup SFU on the media node: every step is an `sfu.*` request on the
// signaling socket (protocol/src/sfu.ts), in mediasoup-demo's order: load the router's
// capabilities into a Device, create a send and a receive WebRTC transport, produce the
// local sources, consume what `sfu.newConsumer` announces (consumers start paused:
// resume after creating them). A new signaling session (reconnect, `sfu.restart`) means
// the node closed everything of ours: rebuild from the LocalSources.

/** Simulcast layers of the camera: the SFU forwards the one each receiver can take. */
const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

interface ConsumerEntry {
  consumer: types.Consumer;
  userId: string;
  source: MediaSource;
}

export interface MediasoupAdapterOptions {
  /** mediasoup-client's handler factory (tests use FakeHandler); the browser's by default. */
  handlerFactory?: types.HandlerFactory;
}

/** The mediasoup-client side of a call. See MediaAdapter. */
export class MediasoupAdapter implements MediaAdapter {
  readonly backend = 'mediasoup' as const;
  readonly #events = new AdapterEvents();
  readonly #local = new LocalSources();
  readonly #options: MediasoupAdapterOptions;
  readonly #producers = new Map<LocalSource, types.Producer>();
  readonly #consumers = new Map<string, ConsumerEntry>();
  #device: Device | undefined;
  #routerCapabilities = '';
  #session: MediaSession | undefined;
  #sendTransport: types.Transport | undefined;
  #recvTransport: types.Transport | undefined;
  /** Resolves when the receiving transport of the current session exists. */
  #recvReady: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  /** Bumped by every connect and close: work of an older session stops when it sees a newer one. */
  #generation = 0;
  #closed = false;

  constructor(options: MediasoupAdapterOptions = {}) {
    this.#options = options;
  }

  on(listener: (event: MediaAdapterEvent) => void): () => void {
    return this.#events.on(listener);
  }

  async connect(session: MediaSession): Promise<void> {
    if (this.#closed) throw new Error('the media connection is closed');
    const generation = ++this.#generation;
    this.#dropSession();
    this.#session = session;
    this.#events.emit({ type: 'connection', state: 'connecting' });
    let markRecvReady = () => {};
    this.#recvReady = new Promise((resolve) => {
      markRecvReady = resolve;
    });
    // Listen first: consumers are announced as soon as the receiving transport exists.
    this.#unsubscribe = session.signaling.onNotification((n) => void this.#onNotification(n, generation));

    const { rtpCapabilities: capabilities } = sfuResponseSchemas['sfu.getRouterRtpCapabilities'].parse(
      await session.signaling.request({ method: 'sfu.getRouterRtpCapabilities', data: {} }),
    );
    const device = await this.#loadDevice(capabilities);
    this.#recvTransport = await this.#createTransport(session, device, 'recv');
    markRecvReady();
    this.#sendTransport = await this.#createTransport(session, device, 'send');
    if (generation !== this.#generation) return;
    for (const [source, state] of this.#local.entries()) await this.#produce(source, state.track, state.muted);
    this.#events.emit({ type: 'connection', state: 'connected' });
  }

  async publish(source: LocalSource, track: MediaStreamTrack, options: { muted?: boolean } = {}): Promise<void> {
    const state = this.#local.set(source, track, options.muted);
    const producer = this.#producers.get(source);
    if (producer && !producer.closed) {
      await producer.replaceTrack({ track });
      await this.setMuted(source, state.muted);
      return;
    }
    if (this.#sendTransport && !this.#sendTransport.closed) await this.#produce(source, track, state.muted);
  }

  async setMuted(source: LocalSource, muted: boolean): Promise<void> {
    if (!this.#local.setMuted(source, muted)) return;
    const producer = this.#producers.get(source);
    if (!producer || producer.closed || producer.paused === muted) return;
    if (muted) producer.pause();
    else producer.resume();
    await this.#session?.signaling.request({ method: muted ? 'sfu.pauseProducer' : 'sfu.resumeProducer', data: { producerId: producer.id } });
  }

  async unpublish(source: LocalSource): Promise<void> {
    this.#local.delete(source);
    const producer = this.#producers.get(source);
    this.#producers.delete(source);
    if (!producer || producer.closed) return;
    producer.close();
    await this.#session?.signaling.request({ method: 'sfu.closeProducer', data: { producerId: producer.id } }).catch(() => {
      // The node closes a producer with its transport anyway; nothing to undo here.
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    this.#dropSession();
    this.#local.clear();
    this.#events.clear();
  }

  /** Closes the transports of the current session (the node already dropped its side). */
  #dropSession(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const [, entry] of this.#consumers) {
      entry.consumer.close();
      this.#events.emit({ type: 'remoteTrackEnded', userId: entry.userId, source: entry.source });
    }
    this.#consumers.clear();
    this.#producers.clear();
    this.#sendTransport?.close();
    this.#recvTransport?.close();
    this.#sendTransport = undefined;
    this.#recvTransport = undefined;
  }

  async #loadDevice(capabilities: Record<string, unknown>): Promise<Device> {
    const key = JSON.stringify(capabilities);
    if (this.#device?.loaded && key === this.#routerCapabilities) return this.#device;
    const device = this.#options.handlerFactory ? new Device({ handlerFactory: this.#options.handlerFactory }) : new Device();
    await device.load({ routerRtpCapabilities: capabilities as types.RtpCapabilities });
    this.#device = device;
    this.#routerCapabilities = key;
    return device;
  }

  async #createTransport(session: MediaSession, device: Device, direction: 'send' | 'recv'): Promise<types.Transport> {
    const raw = await session.signaling.request({
      method: 'sfu.createTransport',
      data:
        direction === 'recv'
          ? { direction, type: 'webrtc', rtpCapabilities: device.rtpCapabilities as RtpCapabilitiesInput }
          : { direction, type: 'webrtc' },
    });
    const remote = sfuResponseSchemas['sfu.createTransport'].parse(raw);
    if (remote.type !== 'webrtc') throw new Error('the node answered a plain transport');
    const options = {
      id: remote.transportId,
      iceParameters: remote.iceParameters as unknown as types.IceParameters,
      iceCandidates: remote.iceCandidates as unknown as types.IceCandidate[],
      dtlsParameters: remote.dtlsParameters as unknown as types.DtlsParameters,
    };
    const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      session.signaling
        .request({ method: 'sfu.connectTransport', data: { transportId: transport.id, dtlsParameters } })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as LocalSource;
        session.signaling
          .request({
            method: 'sfu.produce',
            data: { transportId: transport.id, kind, rtpParameters: rtpParameters as RtpParametersInput, source, paused: appData.paused === true },
          })
          .then((data) => callback({ id: sfuResponseSchemas['sfu.produce'].parse(data).producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected') this.#events.emit({ type: 'connection', state: 'connected' });
      else if (state === 'disconnected') {
        this.#events.emit({ type: 'connection', state: 'reconnecting' });
        void this.#restartIce(session, transport);
      } else if (state === 'failed') this.#events.emit({ type: 'connection', state: 'lost' });
    });
    return transport;
  }

  async #restartIce(session: MediaSession, transport: types.Transport): Promise<void> {
    try {
      const data = sfuResponseSchemas['sfu.restartIce'].parse(await session.signaling.request({ method: 'sfu.restartIce', data: { transportId: transport.id } }));
      if (!transport.closed) await transport.restartIce({ iceParameters: data.iceParameters as unknown as types.IceParameters });
    } catch {
      // The signaling socket is down too, or the transport is gone: the session's reconnect rebuilds it.
    }
  }

  async #produce(source: LocalSource, track: MediaStreamTrack, muted: boolean): Promise<void> {
    const transport = this.#sendTransport;
    if (!transport || transport.closed) return;
    const producer = await transport.produce({
      track,
      stopTracks: false,
      ...(source === 'camera' ? { encodings: CAMERA_ENCODINGS } : {}),
      ...(source === 'mic' ? { codecOptions: { opusDtx: true, opusFec: true } } : {}),
      appData: { source, paused: muted },
    });
    if (muted) producer.pause();
    this.#producers.get(source)?.close();
    this.#producers.set(source, producer);
    producer.on('trackended', () => {
      // The browser ended the track (screen share stopped from its own UI, device unplugged).
      void this.unpublish(source);
      this.#events.emit({ type: 'localStopped', source });
    });
  }

  async #onNotification(notification: SignalingNotification, generation: number): Promise<void> {
    if (generation !== this.#generation) return;
    switch (notification.method) {
      case 'sfu.newConsumer': {
        await this.#recvReady;
        const transport = this.#recvTransport;
        if (!transport || generation !== this.#generation) return;
        const { consumerId, producerId, kind, rtpParameters, userId, source, producerPaused } = notification.data;
        const consumer = await transport.consume({
          id: consumerId,
          producerId,
          kind,
          rtpParameters: rtpParameters as unknown as types.RtpParameters,
        });
        this.#consumers.set(consumerId, { consumer, userId, source });
        this.#events.emit({ type: 'remoteTrack', userId, source, track: consumer.track, muted: producerPaused });
        await this.#session?.signaling.request({ method: 'sfu.resumeConsumer', data: { consumerId } });
        return;
      }
      case 'sfu.consumerClosed': {
        const entry = this.#consumers.get(notification.data.consumerId);
        if (!entry) return;
        this.#consumers.delete(notification.data.consumerId);
        entry.consumer.close();
        this.#events.emit({ type: 'remoteTrackEnded', userId: entry.userId, source: entry.source });
        return;
      }
      case 'sfu.consumerPaused':
      case 'sfu.consumerResumed': {
        const entry = this.#consumers.get(notification.data.consumerId);
        if (!entry) return;
        this.#events.emit({ type: 'remoteMuted', userId: entry.userId, source: entry.source, muted: notification.method === 'sfu.consumerPaused' });
        return;
      }
      case 'sfu.producerPaused': {
        const source = notification.data.source as LocalSource;
        this.#local.setMuted(source, true);
        const producer = this.#producers.get(source);
        if (producer && !producer.paused) producer.pause();
        this.#events.emit({ type: 'localMutedByServer', source });
        return;
      }
      case 'sfu.producerClosed': {
        const source = notification.data.source as LocalSource;
        this.#producers.get(source)?.close();
        this.#producers.delete(source);
        this.#local.delete(source);
        this.#events.emit({ type: 'localStopped', source });
        return;
      }
      case 'sfu.restart': {
        const session = this.#session;
        if (!session) return;
        this.#events.emit({ type: 'connection', state: 'reconnecting' });
        await this.connect(session).catch(() => this.#events.emit({ type: 'connection', state: 'lost' }));
        return;
      }
      default:
        return;
    }
  }
}

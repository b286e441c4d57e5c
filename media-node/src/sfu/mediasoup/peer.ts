import type { types } from 'mediasoup';
import type { MediaSource } from '@huddle/protocol';
import type { SfuParticipant } from '../engine.ts';
import type { RouterEntry } from './meeting-routers.ts';

/** A transport of a participant, with what the room needs to know about it. */
export interface TransportEntry {
  transport: types.WebRtcTransport | types.PlainTransport;
  direction: 'send' | 'recv';
  router: RouterEntry;
  /**
   * The client's end is known: WebRTC after `sfu.connectTransport` (DTLS), plain after
   * connect or from the start with comedia (the node learns the address from the first packet).
   */
  connected: boolean;
  /** Receiving transports: what the client's device can decode. */
  rtpCapabilities: types.RtpCapabilities | undefined;
}

/** A producer of a participant. */
export interface ProducerEntry {
  producer: types.Producer;
  source: MediaSource;
  userId: string;
  /** The router its send transport is on. */
  router: RouterEntry;
}

/** A consumer of a participant (the server consumed another participant's producer for it). */
export interface ConsumerEntry {
  consumer: types.Consumer;
  source: MediaSource;
  /** Whose producer it forwards. */
  producerUserId: string;
  transportId: string;
}

/** Transports a participant may hold at once (a client that lost one may create another). */
export const TRANSPORTS_PER_PEER_MAX = 4;

/**
 * One participant's SFU state in a meeting: its transports, producers and consumers
 * (mediasoup-demo's Peer). Maps drop an entry when mediasoup closes it (a transport
 * closing closes its producers and consumers). `close()` is idempotent and closes the
 * transports, which closes everything else.
 */
export class MediasoupPeer {
  readonly participant: SfuParticipant;
  /** The router the participant's transports go on; chosen at its first transport. */
  router: RouterEntry | undefined;
  readonly transports = new Map<string, TransportEntry>();
  readonly producers = new Map<string, ProducerEntry>();
  readonly consumers = new Map<string, ConsumerEntry>();
  /** Sources with a producer, or one being created (at most one per source). */
  readonly sources = new Set<MediaSource>();
  #closed = false;

  constructor(participant: SfuParticipant) {
    this.participant = participant;
  }

  get userId(): string {
    return this.participant.userId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  addTransport(entry: TransportEntry): void {
    const transport: types.Transport = entry.transport;
    this.transports.set(transport.id, entry);
    transport.observer.once('close', () => this.transports.delete(transport.id));
  }

  addProducer(entry: ProducerEntry): void {
    const { producer } = entry;
    this.producers.set(producer.id, entry);
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      this.sources.delete(entry.source);
    });
  }

  addConsumer(entry: ConsumerEntry): void {
    const { consumer } = entry;
    this.consumers.set(consumer.id, entry);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
  }

  /** Receiving transports that can take consumers. */
  recvTransports(): TransportEntry[] {
    return [...this.transports.values()].filter((t) => t.direction === 'recv' && !t.transport.closed);
  }

  /** The producer of a source, if any. */
  producerOf(source: MediaSource): ProducerEntry | undefined {
    for (const entry of this.producers.values()) if (entry.source === source) return entry;
    return undefined;
  }

  /** Closes every transport (and so every producer and consumer) but keeps the peer. */
  closeMedia(): void {
    for (const { transport } of [...this.transports.values()]) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.sources.clear();
    this.router = undefined;
  }

  /** Closes the peer's media for good; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeMedia();
  }
}

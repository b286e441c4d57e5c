import type { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { RoomServiceClient, TwirpError } from 'livekit-server-sdk';
import { meetingRoomName } from '@huddle/protocol';
import type { SfuCounts, SfuEngine, SfuRoom, SfuRoomEvents } from '../engine.ts';
import type { LivekitConfig } from './config.ts';
import type { PresenceDeps } from './presence.ts';
import { LivekitRoom } from './room.ts';

/**
 * The livekit engine of a node: meetings' rooms live on a LiveKit server (or LiveKit
 * Cloud), managed through RoomServiceClient. `available` follows a health call every
 * `healthIntervalMs` (GET / on the server, bounded by `requestTimeoutMs`), so the
 * registry reports `sfuAvailable: false` while the server is down and the edge places
 * no meeting here. Owns its LivekitRooms; `close()` closes them first. Idempotent.
 */
export class LivekitEngine implements SfuEngine {
  readonly backend = 'livekit' as const;
  readonly livekitUrl: string;
  readonly config: LivekitConfig;
  readonly #rooms = new Map<string, LivekitRoom>();
  readonly #service: RoomServiceClient;
  readonly #presence: PresenceDeps;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  readonly #availableGauge: Gauge;
  #available = false;
  #closed = false;

  private constructor(config: LivekitConfig, presence: PresenceDeps, availableGauge: Gauge) {
    this.config = config;
    this.livekitUrl = config.publicUrl;
    this.#presence = presence;
    this.#log = presence.log.child({ sfu: 'livekit' });
    this.#availableGauge = availableGauge;
    this.#service = new RoomServiceClient(config.apiUrl, config.apiKey, config.apiSecret, {
      requestTimeout: config.requestTimeoutMs / 1000,
    });
    this.#timer = setInterval(() => void this.checkHealth(), config.healthIntervalMs);
    this.#timer.unref();
  }

  /** Starts the engine and its health loop; it starts unavailable if the server does not answer yet. */
  static async create(config: LivekitConfig, presence: PresenceDeps, availableGauge: Gauge): Promise<LivekitEngine> {
    const engine = new LivekitEngine(config, presence, availableGauge);
    await engine.checkHealth();
    if (!engine.available) engine.#log.warn({ url: config.apiUrl }, 'LiveKit server does not answer yet');
    return engine;
  }

  get available(): boolean {
    return this.#available && !this.#closed;
  }

  /** The open room of a meeting on this node. */
  room(meetingId: string): LivekitRoom | undefined {
    return this.#rooms.get(meetingId);
  }

  /** One health call; updates `available` (logged when it changes). */
  async checkHealth(): Promise<boolean> {
    let up = false;
    try {
      const response = await fetch(`${this.config.apiUrl}/`, { signal: AbortSignal.timeout(this.config.requestTimeoutMs) });
      up = response.ok;
      await response.body?.cancel();
    } catch {
      up = false;
    }
    if (up !== this.#available && !this.#closed) {
      this.#log[up ? 'info' : 'warn']({ url: this.config.apiUrl }, up ? 'LiveKit server available' : 'LiveKit server unavailable');
    }
    this.#available = up;
    this.#availableGauge.set(up ? 1 : 0);
    return up;
  }

  async disconnect(meetingId: string, userId: string): Promise<void> {
    try {
      await this.#service.removeParticipant(meetingRoomName(meetingId), userId);
    } catch (error) {
      if (!(error instanceof TwirpError && (error.code === 'not_found' || error.status === 404))) throw error;
    }
  }

  async openRoom(meetingId: string, events: SfuRoomEvents): Promise<SfuRoom> {
    if (this.#closed) throw new Error('the livekit engine is closed');
    if (!this.available) throw new Error('the LiveKit server is unavailable');
    const open = this.#rooms.get(meetingId);
    if (open && !open.closed) return open;
    const room = await LivekitRoom.open(meetingId, events, {
      config: this.config,
      rooms: this.#service,
      presence: this.#presence,
      log: this.#log,
      available: () => this.available,
      onClosed: () => {
        if (this.#rooms.get(meetingId) === room) this.#rooms.delete(meetingId);
      },
    });
    this.#rooms.set(meetingId, room);
    return room;
  }

  counts(): SfuCounts {
    return { rooms: this.#rooms.size, transports: 0, producers: 0, consumers: 0 };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#rooms.values()].map((room) => room.close()));
    this.#rooms.clear();
  }
}

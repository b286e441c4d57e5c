import type { Logger } from 'pino';
import { type RoomServiceClient, TrackSource, TrackType, TwirpError } from 'livekit-server-sdk';
import { meetingRoomName, type MediaState, type RoomMedia, type SfuRequest } from '@huddle/protocol';
import { z } from 'zod';
import type { AudioTapSink, SfuParticipant, SfuRoom, SfuRoomEvents } from '../engine.ts';
import { fail, type Result } from '../../signaling/types.ts';
import { type LivekitChannelEvent, publishLivekitEvent, sfuChannelMessageSchema } from './channel.ts';
import type { LivekitConfig } from './config.ts';
import { LivekitObserver } from './observer.ts';
import type { ObserverMessage } from './observer-protocol.ts';
import { livekitConnectionId, livekitMediaChanged, type PresenceDeps } from './presence.ts';

const userIdSchema = z.uuid();

/** What a LivekitRoom needs from its engine. */
export interface LivekitRoomDeps {
  config: LivekitConfig;
  rooms: RoomServiceClient;
  presence: PresenceDeps;
  log: Logger;
  /** Whether the server answers right now (the engine's health loop). */
  available: () => boolean;
  /** Called once when the room has closed. */
  onClosed: () => void;
}

/** The media state a LiveKit track source stands for (unknown sources change nothing). */
export function mediaOfSource(source: string, on: boolean): Partial<MediaState> {
  switch (source) {
    case 'microphone':
      return { audio: on };
    case 'camera':
      return { video: on };
    case 'screen_share':
      return { screen: on };
    default:
      return {};
  }
}

/**
 * One meeting's LiveKit room, as its signaling room on this node sees it. Media flows
 * between clients and the LiveKit server (livekit-client / rtc-node with the join
 * token); this object creates and deletes the server room, carries host actions to it,
 * runs the hidden observer (active speaker, audio tap) and follows LiveKit presence
 * (observer + webhooks over the meeting channel). `close()` is idempotent.
 */
export class LivekitRoom implements SfuRoom {
  readonly meetingId: string;
  readonly roomName: string;
  readonly #d: LivekitRoomDeps;
  readonly #events: SfuRoomEvents;
  readonly #log: Logger;
  /** Users connected to the LiveKit room now → their participant sid. */
  readonly #present = new Map<string, string>();
  #observer: LivekitObserver | undefined;
  #tap: AudioTapSink | undefined;
  /** The server room finished (empty timeout): recreate it on the next join. */
  #finished = false;
  #closed = false;

  private constructor(meetingId: string, events: SfuRoomEvents, deps: LivekitRoomDeps) {
    this.meetingId = meetingId;
    this.roomName = meetingRoomName(meetingId);
    this.#events = events;
    this.#d = deps;
    this.#log = deps.log.child({ meetingId, room: this.roomName });
  }

  /** Creates (or finds) the server room and starts the observer. Throws when the server refuses. */
  static async open(meetingId: string, events: SfuRoomEvents, deps: LivekitRoomDeps): Promise<LivekitRoom> {
    const room = new LivekitRoom(meetingId, events, deps);
    await room.#createServerRoom();
    room.#startObserver();
    return room;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The observer (tests, metrics). */
  get observer(): LivekitObserver | undefined {
    return this.#observer;
  }

  async #createServerRoom(): Promise<void> {
    // createRoom returns the existing room when it is already there (another node, a rejoin).
    await this.#d.rooms.createRoom({
      name: this.roomName,
      emptyTimeout: this.#d.config.emptyTimeoutSeconds,
      maxParticipants: this.#d.config.maxParticipants,
    });
    this.#finished = false;
  }

  #startObserver(): void {
    if (!this.#d.config.observer || this.#closed) return;
    this.#observer = new LivekitObserver({
      url: this.#d.config.observerUrl,
      apiKey: this.#d.config.apiKey,
      apiSecret: this.#d.config.apiSecret,
      room: this.roomName,
      identity: `observer-${this.#d.presence.nodeId}`,
      netns: this.#d.config.observerNetns,
      log: this.#log,
      onMessage: (message) => this.#onObserver(message),
    });
    if (this.#tap) this.#observer.setTap(true);
    this.#observer.start();
  }

  media(): RoomMedia {
    return { backend: 'livekit', available: this.#d.available(), livekitUrl: this.#d.config.publicUrl };
  }

  async join(_participant: SfuParticipant): Promise<void> {
    if (!this.#finished || this.#closed) return;
    try {
      await this.#createServerRoom();
      this.#startObserver();
    } catch (error) {
      this.#log.warn({ err: errorText(error) }, 'recreating the LiveKit room failed');
    }
  }

  async leave(_userId: string, _peerId: string): Promise<void> {
    // Media stays with the LiveKit connection; the presence rule (presence.ts) decides
    // whether the user is still in the meeting.
  }

  mediaPresence(userId: string): string | undefined {
    const sid = this.#present.get(userId);
    return sid === undefined ? undefined : livekitConnectionId(sid);
  }

  async handle(_userId: string, request: SfuRequest): Promise<Result> {
    return fail(
      'unsupported',
      `${request.method}: this meeting's media runs on LiveKit; connect livekit-client to ${this.#d.config.publicUrl} with the join token`,
    );
  }

  async muteMicrophone(userId: string, byUserId: string): Promise<boolean> {
    let participant: Awaited<ReturnType<RoomServiceClient['getParticipant']>>;
    try {
      participant = await this.#d.rooms.getParticipant(this.roomName, userId);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    const microphones = participant.tracks.filter((t) => t.type === TrackType.AUDIO && t.source === TrackSource.MICROPHONE && !t.muted);
    for (const track of microphones) await this.#d.rooms.mutePublishedTrack(this.roomName, userId, track.sid, true);
    this.#log.info({ userId, byUserId, tracks: microphones.length }, 'host muted a LiveKit microphone');
    return microphones.length > 0;
  }

  async removeParticipant(userId: string): Promise<void> {
    // Not present for the presence rule any more, whatever the webhook says later.
    this.#present.delete(userId);
    try {
      await this.#d.rooms.removeParticipant(this.roomName, userId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async setAudioTap(sink: AudioTapSink | undefined): Promise<void> {
    const previous = this.#tap;
    this.#tap = sink;
    if (previous && previous !== sink) for (const userId of this.#present.keys()) previous.onSpeakerGone(userId);
    this.#observer?.setTap(sink !== undefined);
  }

  /** A message of type `sfu.event` on the meeting channel (see channel.ts). */
  onChannelMessage(message: unknown): void {
    const parsed = sfuChannelMessageSchema.safeParse(message);
    if (parsed.success && parsed.data.meetingId === this.meetingId) this.#onLivekitEvent(parsed.data.event);
  }

  #onLivekitEvent(event: LivekitChannelEvent): void {
    switch (event.kind) {
      case 'presence':
        if (event.present) this.#present.set(event.userId, event.sid);
        else if (this.#present.get(event.userId) === event.sid) this.#present.delete(event.userId);
        return;
      case 'media':
        this.#events.mediaChanged(event.userId, event.change);
        return;
      case 'roomFinished':
        if (this.#closed || this.#finished) return;
        this.#log.info('LiveKit room finished');
        this.#finished = true;
        this.#present.clear();
        void this.#observer?.close();
        this.#observer = undefined;
        return;
    }
  }

  #onObserver(message: ObserverMessage): void {
    switch (message.type) {
      case 'presence': {
        if (!userIdSchema.safeParse(message.identity).success) return;
        if (message.present) this.#present.set(message.identity, message.sid);
        else if (this.#present.get(message.identity) === message.sid) {
          this.#present.delete(message.identity);
          this.#tap?.onSpeakerGone(message.identity);
        }
        return;
      }
      case 'activeSpeakers': {
        const speaker = message.identities.find((id) => userIdSchema.safeParse(id).success) ?? null;
        this.#events.activeSpeaker(speaker);
        return;
      }
      case 'muted': {
        if (!userIdSchema.safeParse(message.identity).success) return;
        // Every node holding a connection of this user applies it (through the channel).
        const change = mediaOfSource(message.source, !message.muted);
        Promise.all([
          publishLivekitEvent(this.#d.presence.redis, this.meetingId, { kind: 'media', userId: message.identity, change }),
          livekitMediaChanged(this.#d.presence, this.meetingId, message.identity, change),
        ]).catch((error: unknown) => this.#log.warn({ err: errorText(error) }, 'media state of a LiveKit participant not recorded'));
        return;
      }
      case 'audio':
        this.#tap?.onAudio(message.identity, message.pcm, message.atMs);
        return;
      case 'speakerGone':
        this.#tap?.onSpeakerGone(message.identity);
        return;
      case 'connected':
        this.#log.debug('LiveKit observer connected');
        return;
      case 'disconnected':
        this.#log.info({ reason: message.reason }, 'LiveKit observer disconnected');
        return;
      case 'error':
        this.#log.warn({ err: message.message }, 'LiveKit observer error');
        return;
    }
  }

  async end(): Promise<void> {
    if (this.#closed) return;
    await this.#stopObserver();
    try {
      await this.#d.rooms.deleteRoom(this.roomName);
      this.#log.info('LiveKit room deleted');
    } catch (error) {
      if (!isNotFound(error)) this.#log.warn({ err: errorText(error) }, 'deleting the LiveKit room failed');
    }
    await this.close();
  }

  async #stopObserver(): Promise<void> {
    const observer = this.#observer;
    this.#observer = undefined;
    await observer?.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#tap) for (const userId of this.#present.keys()) this.#tap.onSpeakerGone(userId);
    this.#tap = undefined;
    await this.#stopObserver();
    this.#present.clear();
    this.#d.onClosed();
  }
}

const isNotFound = (error: unknown): boolean => error instanceof TwirpError && (error.code === 'not_found' || error.status === 404);

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

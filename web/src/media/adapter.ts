import type { MediaBackend, MediaSource, RoomMedia, SignalingNotification } from '@huddle/protocol';
import type { OutgoingRequest } from '../signaling/signaling-client.ts';

// One interface over the two SFU client libraries. The call session picks the adapter
// by the join response's `media.backend` (mediasoup → mediasoup-adapter.ts over `sfu.*`
// signaling; livekit → livekit-adapter.ts over livekit-client to `media.livekitUrl`)
// and never looks behind it. Adapters report what they see as events; the shared
// bookkeeping (which remote track belongs to whom, what this client publishes and
// whether it is muted) lives in remote-tracks.ts and local-sources.ts.

/** What this client can publish. */
export type LocalSource = Extract<MediaSource, 'mic' | 'camera' | 'screen'>;

/** The signaling socket as an adapter needs it (requests and notifications). */
export interface SignalingLink {
  request(message: OutgoingRequest): Promise<unknown>;
  onNotification(listener: (notification: SignalingNotification) => void): () => void;
}

/** One signaling session's media facts (from `join`), handed to `connect`. */
export interface MediaSession {
  signaling: SignalingLink;
  /** The join token (LiveKit meetings connect to `media.livekitUrl` with it). */
  token: string;
  media: RoomMedia;
  selfUserId: string;
}

/** How the media connection is doing, as the adapter sees it. */
export type MediaConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'lost';

export type MediaAdapterEvent =
  /** A remote participant's track can be played (or its track object changed). */
  | { type: 'remoteTrack'; userId: string; source: MediaSource; track: MediaStreamTrack; muted: boolean }
  /** That track is gone (unpublished, participant left, consumer closed). */
  | { type: 'remoteTrackEnded'; userId: string; source: MediaSource }
  | { type: 'remoteMuted'; userId: string; source: MediaSource; muted: boolean }
  /** The server muted one of this client's sources (host mute), or the source stopped (by the server, or the browser ended the track). */
  | { type: 'localMutedByServer'; source: LocalSource }
  | { type: 'localStopped'; source: LocalSource }
  /** Who speaks now, loudest first (LiveKit computes it in the client; mediasoup sends speaker.active). */
  | { type: 'activeSpeakers'; userIds: string[] }
  | { type: 'connection'; state: MediaConnectionState };

/** The media side of a call, whatever the SFU. Methods reject with an Error the UI can show. */
export interface MediaAdapter {
  readonly backend: MediaBackend;
  /**
   * Connects media for a signaling session and publishes every source set with
   * `publish` so far. Called again after the page reconnected signaling (a new session,
   * maybe a new node): the adapter keeps what still works and rebuilds the rest.
   */
  connect(session: MediaSession): Promise<void>;
  /** Publishes (or replaces the track of) a source; `muted` starts it muted. */
  publish(source: LocalSource, track: MediaStreamTrack, options?: { muted?: boolean }): Promise<void>;
  /** Mutes or unmutes a published source (the track stays; nothing is sent while muted). */
  setMuted(source: LocalSource, muted: boolean): Promise<void>;
  /** Stops publishing a source and stops its track. */
  unpublish(source: LocalSource): Promise<void>;
  /** Listens to the adapter's events; returns the unsubscribe function. */
  on(listener: (event: MediaAdapterEvent) => void): () => void;
  /** Closes every connection and stops every local track; idempotent. */
  close(): Promise<void>;
}

/** A tiny typed event fan-out for adapters. */
export class AdapterEvents {
  readonly #listeners = new Set<(event: MediaAdapterEvent) => void>();

  on(listener: (event: MediaAdapterEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: MediaAdapterEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('media event listener failed', error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

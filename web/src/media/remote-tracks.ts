import type { MediaSource } from '@huddle/protocol';
import type { MediaAdapterEvent } from './adapter.ts';

/** A remote participant's playable track. */
export interface RemoteTrack {
  userId: string;
  source: MediaSource;
  track: MediaStreamTrack;
  muted: boolean;
}

/** Remote tracks by participant; what the call page renders. */
export type RemoteTrackSnapshot = ReadonlyMap<string, Readonly<Partial<Record<MediaSource, RemoteTrack>>>>;

/**
 * The table of remote tracks, fed with adapter events. Each change builds a new
 * snapshot (immutable, so React can compare by reference); unchanged events keep the
 * old one.
 */
export class RemoteTracks {
  #snapshot: RemoteTrackSnapshot = new Map();

  get snapshot(): RemoteTrackSnapshot {
    return this.#snapshot;
  }

  /** Applies one adapter event; true when the snapshot changed. */
  apply(event: MediaAdapterEvent): boolean {
    switch (event.type) {
      case 'remoteTrack': {
        const current = this.#snapshot.get(event.userId)?.[event.source];
        if (current && current.track === event.track && current.muted === event.muted) return false;
        return this.#put(event.userId, event.source, { userId: event.userId, source: event.source, track: event.track, muted: event.muted });
      }
      case 'remoteMuted': {
        const current = this.#snapshot.get(event.userId)?.[event.source];
        if (!current || current.muted === event.muted) return false;
        return this.#put(event.userId, event.source, { ...current, muted: event.muted });
      }
      case 'remoteTrackEnded':
        if (!this.#snapshot.get(event.userId)?.[event.source]) return false;
        return this.#put(event.userId, event.source, undefined);
      default:
        return false;
    }
  }

  /** Drops every track of a participant (they left). */
  removeUser(userId: string): boolean {
    if (!this.#snapshot.has(userId)) return false;
    const next = new Map(this.#snapshot);
    next.delete(userId);
    this.#snapshot = next;
    return true;
  }

  clear(): void {
    this.#snapshot = new Map();
  }

  #put(userId: string, source: MediaSource, track: RemoteTrack | undefined): boolean {
    const next = new Map(this.#snapshot);
    const tracks = { ...next.get(userId) };
    if (track) tracks[source] = track;
    else delete tracks[source];
    if (Object.keys(tracks).length === 0) next.delete(userId);
    else next.set(userId, tracks);
    this.#snapshot = next;
    return true;
  }
}

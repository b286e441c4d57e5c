import type { LocalSource } from './adapter.ts';

/** What the user wants to send for one source. */
export interface LocalSourceState {
  track: MediaStreamTrack;
  muted: boolean;
}

/**
 * The sources this client wants published, independent of any connection: after a
 * reconnect (new node, new SFU session) the adapter publishes exactly these again, in
 * the mute state the user last chose — or the server forced (a host mute survives a
 * reconnect: the user unmutes deliberately).
 */
export class LocalSources {
  readonly #sources = new Map<LocalSource, LocalSourceState>();

  /** Sets the track of a source; the old track (if another) is stopped. Keeps the mute state unless given. */
  set(source: LocalSource, track: MediaStreamTrack, muted?: boolean): LocalSourceState {
    const previous = this.#sources.get(source);
    if (previous && previous.track !== track) previous.track.stop();
    const state = { track, muted: muted ?? previous?.muted ?? false };
    this.#sources.set(source, state);
    return state;
  }

  /** Records a mute change; false when the source is not published. */
  setMuted(source: LocalSource, muted: boolean): boolean {
    const state = this.#sources.get(source);
    if (!state) return false;
    state.muted = muted;
    return true;
  }

  get(source: LocalSource): LocalSourceState | undefined {
    return this.#sources.get(source);
  }

  /** Removes a source and stops its track. */
  delete(source: LocalSource): LocalSourceState | undefined {
    const state = this.#sources.get(source);
    state?.track.stop();
    this.#sources.delete(source);
    return state;
  }

  entries(): [LocalSource, LocalSourceState][] {
    return [...this.#sources.entries()];
  }

  /** Stops every track and forgets every source. */
  clear(): void {
    for (const state of this.#sources.values()) state.track.stop();
    this.#sources.clear();
  }
}

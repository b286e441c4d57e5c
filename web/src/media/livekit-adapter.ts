import type { MediaSource } from '@huddle/protocol';
import {
  ConnectionState,
  DisconnectReason,
  Room,
  RoomEvent,
  Track,
  type LocalTrackPublication,
  type Participant,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  type TrackPublication,
} from 'livekit-client';
import { AdapterEvents, type LocalSource, type MediaAdapter, type MediaAdapterEvent, type MediaSession } from './adapter.ts';
import { LocalSources } from './local-sources.ts';

// Media through a LiveKit server (livekit-client): the join token the edge minted is a
// LiveKit access token for the meeting's room, and `media.livekitUrl` names the server.
// Identities are user ids. The signaling socket stays with the media node for chat,
// hands, captions and host controls; a signaling reconnect keeps a LiveKit connection
// that still works (livekit-client resumes and restarts ICE by itself) and rebuilds it
// only when it was lost or the server changed.

/** Our source names ↔ LiveKit's. */
const toLivekit: Record<LocalSource, Track.Source> = {
  mic: Track.Source.Microphone,
  camera: Track.Source.Camera,
  screen: Track.Source.ScreenShare,
};

/** The protocol's source of a LiveKit track source (unknown sources count as camera). */
export function sourceOfLivekit(source: Track.Source): MediaSource {
  switch (source) {
    case Track.Source.Microphone:
      return 'mic';
    case Track.Source.ScreenShare:
      return 'screen';
    case Track.Source.ScreenShareAudio:
      return 'screenAudio';
    default:
      return 'camera';
  }
}

/** Whether an existing LiveKit connection can carry a new signaling session's media. */
export function canKeepLivekitRoom(current: { url: string; state: ConnectionState } | undefined, nextUrl: string): boolean {
  return current !== undefined && current.url === nextUrl && current.state !== ConnectionState.Disconnected;
}

export interface LivekitAdapterOptions {
  /** Builds the Room (tests pass a stand-in with the same events and methods). */
  createRoom?: () => Room;
}

/** The livekit-client side of a call. See MediaAdapter. */
export class LivekitAdapter implements MediaAdapter {
  readonly backend = 'livekit' as const;
  readonly #events = new AdapterEvents();
  readonly #local = new LocalSources();
  readonly #publications = new Map<LocalSource, LocalTrackPublication>();
  readonly #createRoom: () => Room;
  #room: Room | undefined;
  #url = '';
  #closed = false;

  constructor(options: LivekitAdapterOptions = {}) {
    this.#createRoom = options.createRoom ?? (() => new Room({ adaptiveStream: true, dynacast: true, disconnectOnPageLeave: true }));
  }

  on(listener: (event: MediaAdapterEvent) => void): () => void {
    return this.#events.on(listener);
  }

  async connect(session: MediaSession): Promise<void> {
    if (this.#closed) throw new Error('the media connection is closed');
    const url = session.media.livekitUrl;
    if (!url) throw new Error('the media node named no LiveKit server for this meeting');
    if (this.#room && canKeepLivekitRoom({ url: this.#url, state: this.#room.state }, url)) return;
    await this.#dropRoom();
    const room = this.#createRoom();
    this.#room = room;
    this.#url = url;
    this.#wire(room);
    this.#events.emit({ type: 'connection', state: 'connecting' });
    await room.connect(url, session.token, { autoSubscribe: true });
    if (this.#room !== room) return;
    for (const [source, state] of this.#local.entries()) await this.#publishTrack(room, source, state.track, state.muted);
    this.#events.emit({ type: 'connection', state: 'connected' });
  }

  async publish(source: LocalSource, track: MediaStreamTrack, options: { muted?: boolean } = {}): Promise<void> {
    const state = this.#local.set(source, track, options.muted);
    const room = this.#room;
    if (!room || room.state !== ConnectionState.Connected) return;
    const publication = this.#publications.get(source);
    if (publication?.track) {
      await publication.track.replaceTrack(track, true);
      await this.setMuted(source, state.muted);
      return;
    }
    await this.#publishTrack(room, source, track, state.muted);
  }

  async setMuted(source: LocalSource, muted: boolean): Promise<void> {
    if (!this.#local.setMuted(source, muted)) return;
    const publication = this.#publications.get(source);
    if (!publication || publication.isMuted === muted) return;
    if (muted) await publication.mute();
    else await publication.unmute();
  }

  async unpublish(source: LocalSource): Promise<void> {
    const state = this.#local.delete(source);
    const publication = this.#publications.get(source);
    this.#publications.delete(source);
    const track = publication?.track ?? state?.track;
    if (this.#room && track) await this.#room.localParticipant.unpublishTrack(track, true);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#dropRoom();
    this.#local.clear();
    this.#events.clear();
  }

  async #dropRoom(): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    this.#publications.clear();
    if (!room) return;
    room.removeAllListeners();
    for (const participant of room.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) {
        this.#events.emit({ type: 'remoteTrackEnded', userId: participant.identity, source: sourceOfLivekit(publication.source) });
      }
    }
    await room.disconnect(false);
  }

  async #publishTrack(room: Room, source: LocalSource, track: MediaStreamTrack, muted: boolean): Promise<void> {
    const publication = await room.localParticipant.publishTrack(track, {
      source: toLivekit[source],
      name: source,
      simulcast: source === 'camera',
      ...(source === 'mic' ? { dtx: true, red: true } : {}),
    });
    this.#publications.set(source, publication);
    if (muted) await publication.mute();
  }

  #wire(room: Room): void {
    const emit = (event: MediaAdapterEvent) => {
      if (this.#room === room) this.#events.emit(event);
    };
    room
      .on(RoomEvent.TrackSubscribed, (track: RemoteTrack, publication: RemoteTrackPublication, participant: RemoteParticipant) => {
        emit({
          type: 'remoteTrack',
          userId: participant.identity,
          source: sourceOfLivekit(publication.source),
          track: track.mediaStreamTrack,
          muted: publication.isMuted,
        });
      })
      .on(RoomEvent.TrackUnsubscribed, (_track: RemoteTrack, publication: RemoteTrackPublication, participant: RemoteParticipant) => {
        emit({ type: 'remoteTrackEnded', userId: participant.identity, source: sourceOfLivekit(publication.source) });
      })
      .on(RoomEvent.TrackMuted, (publication: TrackPublication, participant: Participant) => this.#onMuteChange(room, publication, participant, true))
      .on(RoomEvent.TrackUnmuted, (publication: TrackPublication, participant: Participant) => this.#onMuteChange(room, publication, participant, false))
      .on(RoomEvent.LocalTrackUnpublished, (publication: LocalTrackPublication) => {
        const source = sourceOfLivekit(publication.source);
        if (source === 'screenAudio' || this.#publications.get(source) !== publication) return;
        // Unpublished without our asking (the browser ended the track, or the server).
        this.#publications.delete(source);
        this.#local.delete(source);
        emit({ type: 'localStopped', source });
      })
      .on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) => {
        emit({ type: 'activeSpeakers', userIds: speakers.map((p) => p.identity) });
      })
      .on(RoomEvent.Reconnecting, () => emit({ type: 'connection', state: 'reconnecting' }))
      .on(RoomEvent.Reconnected, () => emit({ type: 'connection', state: 'connected' }))
      .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
        // Removal and the end of the meeting also arrive on the signaling socket, which decides.
        if (reason !== DisconnectReason.CLIENT_INITIATED) emit({ type: 'connection', state: 'lost' });
      });
  }

  #onMuteChange(room: Room, publication: TrackPublication, participant: Participant, muted: boolean): void {
    if (this.#room !== room) return;
    const source = sourceOfLivekit(publication.source);
    if (participant.identity !== room.localParticipant.identity) {
      this.#events.emit({ type: 'remoteMuted', userId: participant.identity, source, muted });
      return;
    }
    // Our own track: news only when we did not ask for it (a host mute).
    if (source === 'screenAudio') return;
    const state = this.#local.get(source);
    if (muted && state && !state.muted) {
      this.#local.setMuted(source, true);
      this.#events.emit({ type: 'localMutedByServer', source });
    }
  }
}

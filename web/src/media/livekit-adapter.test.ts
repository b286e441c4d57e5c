import { EventEmitter } from 'node:events';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { ConnectionState, DisconnectReason, RoomEvent, Track, type Room } from 'livekit-client';
import { describe, expect, it } from 'vitest';
import type { MediaAdapterEvent, MediaSession } from './adapter.ts';
import { canKeepLivekitRoom, LivekitAdapter, sourceOfLivekit } from './livekit-adapter.ts';

const self = '11111111-1111-4111-8111-111111111111';
const remote = '22222222-2222-4222-8222-222222222222';

/** A local publication as the adapter uses it. */
class FakePublication {
  isMuted = false;
  readonly source: Track.Source;
  readonly track: { mediaStreamTrack: MediaStreamTrack; replaceTrack(track: MediaStreamTrack): Promise<void> };
  constructor(source: Track.Source, track: MediaStreamTrack) {
    this.source = source;
    const holder = {
      mediaStreamTrack: track,
      replaceTrack: async (next: MediaStreamTrack) => {
        holder.mediaStreamTrack = next;
      },
    };
    this.track = holder;
  }
  async mute() {
    this.isMuted = true;
  }
  async unmute() {
    this.isMuted = false;
  }
}

/** The part of livekit-client's Room the adapter touches, driven by the test. */
class FakeRoom extends EventEmitter {
  state = ConnectionState.Disconnected;
  readonly connects: { url: string; token: string }[] = [];
  readonly published: FakePublication[] = [];
  readonly unpublished: MediaStreamTrack[] = [];
  readonly remoteParticipants = new Map<string, { identity: string; trackPublications: Map<string, { source: Track.Source }> }>();
  readonly localParticipant = {
    identity: self,
    publishTrack: async (track: MediaStreamTrack, options: { source: Track.Source }) => {
      const publication = new FakePublication(options.source, track);
      this.published.push(publication);
      return publication;
    },
    unpublishTrack: async (track: { mediaStreamTrack?: MediaStreamTrack } | MediaStreamTrack) => {
      this.unpublished.push('mediaStreamTrack' in track && track.mediaStreamTrack ? track.mediaStreamTrack : (track as MediaStreamTrack));
    },
  };
  async connect(url: string, token: string) {
    this.connects.push({ url, token });
    this.state = ConnectionState.Connected;
  }
  async disconnect() {
    this.state = ConnectionState.Disconnected;
  }
}

const session = (overrides: Partial<MediaSession> = {}): MediaSession => ({
  signaling: { request: async () => ({}), onNotification: () => () => {} },
  token: 'join-token',
  media: { backend: 'livekit', available: true, livekitUrl: 'ws://10.0.0.2:7880' },
  selfUserId: self,
  ...overrides,
});

function setUp() {
  const rooms: FakeRoom[] = [];
  const adapter = new LivekitAdapter({
    createRoom: () => {
      const room = new FakeRoom();
      rooms.push(room);
      return room as unknown as Room;
    },
  });
  const events: MediaAdapterEvent[] = [];
  adapter.on((e) => events.push(e));
  return { adapter, events, rooms };
}

const track = (kind: 'audio' | 'video') => new FakeMediaStreamTrack({ kind }) as unknown as MediaStreamTrack;

describe('livekit adapter', () => {
  it('maps sources both ways and keeps a working room for the same server only', () => {
    expect([Track.Source.Microphone, Track.Source.Camera, Track.Source.ScreenShare, Track.Source.ScreenShareAudio].map(sourceOfLivekit)).toEqual([
      'mic',
      'camera',
      'screen',
      'screenAudio',
    ]);
    expect(canKeepLivekitRoom({ url: 'ws://a', state: ConnectionState.Connected }, 'ws://a')).toBe(true);
    expect(canKeepLivekitRoom({ url: 'ws://a', state: ConnectionState.Reconnecting }, 'ws://a')).toBe(true);
    expect(canKeepLivekitRoom({ url: 'ws://a', state: ConnectionState.Disconnected }, 'ws://a')).toBe(false);
    expect(canKeepLivekitRoom({ url: 'ws://a', state: ConnectionState.Connected }, 'ws://b')).toBe(false);
    expect(canKeepLivekitRoom(undefined, 'ws://a')).toBe(false);
  });

  it('connects with the join token and publishes the sources chosen in the lobby, muted as chosen', async () => {
    const { adapter, rooms, events } = setUp();
    await adapter.publish('mic', track('audio'), { muted: true });
    await adapter.publish('camera', track('video'));
    await adapter.connect(session());
    expect(rooms[0]?.connects).toEqual([{ url: 'ws://10.0.0.2:7880', token: 'join-token' }]);
    expect(rooms[0]?.published.map((p) => [p.source, p.isMuted])).toEqual([
      [Track.Source.Microphone, true],
      [Track.Source.Camera, false],
    ]);
    expect(events.at(-1)).toEqual({ type: 'connection', state: 'connected' });
    await adapter.close();
  });

  it('reports remote tracks by user id and source, with their mute state', async () => {
    const { adapter, rooms, events } = setUp();
    await adapter.connect(session());
    const room = rooms[0]!;
    const video = track('video');
    const participant = { identity: remote };
    const publication = { source: Track.Source.Camera, isMuted: false };
    room.emit(RoomEvent.TrackSubscribed, { mediaStreamTrack: video }, publication, participant);
    room.emit(RoomEvent.TrackMuted, publication, participant);
    room.emit(RoomEvent.TrackUnsubscribed, { mediaStreamTrack: video }, publication, participant);
    room.emit(RoomEvent.ActiveSpeakersChanged, [participant, { identity: self }]);
    expect(events.filter((e) => e.type !== 'connection')).toEqual([
      { type: 'remoteTrack', userId: remote, source: 'camera', track: video, muted: false },
      { type: 'remoteMuted', userId: remote, source: 'camera', muted: true },
      { type: 'remoteTrackEnded', userId: remote, source: 'camera' },
      { type: 'activeSpeakers', userIds: [remote, self] },
    ]);
    await adapter.close();
  });

  it('tells a host mute of our microphone from our own mute', async () => {
    const { adapter, rooms, events } = setUp();
    await adapter.publish('mic', track('audio'));
    await adapter.connect(session());
    const room = rooms[0]!;
    const mic = room.published[0]!;
    await adapter.setMuted('mic', true);
    room.emit(RoomEvent.TrackMuted, mic, room.localParticipant);
    expect(events.some((e) => e.type === 'localMutedByServer')).toBe(false);
    await adapter.setMuted('mic', false);
    expect(mic.isMuted).toBe(false);
    mic.isMuted = true; // the server muted it
    room.emit(RoomEvent.TrackMuted, mic, room.localParticipant);
    expect(events.filter((e) => e.type === 'localMutedByServer')).toEqual([{ type: 'localMutedByServer', source: 'mic' }]);
    await adapter.close();
  });

  it('keeps the LiveKit connection across a signaling reconnect, and rebuilds it with the new token when it was lost', async () => {
    const { adapter, rooms, events } = setUp();
    await adapter.publish('camera', track('video'));
    await adapter.connect(session());
    await adapter.connect(session({ token: 'second-token' }));
    expect(rooms).toHaveLength(1);

    rooms[0]!.state = ConnectionState.Disconnected;
    rooms[0]!.emit(RoomEvent.Disconnected, DisconnectReason.SIGNAL_CLOSE);
    expect(events).toContainEqual({ type: 'connection', state: 'lost' });
    await adapter.connect(session({ token: 'third-token' }));
    expect(rooms).toHaveLength(2);
    expect(rooms[1]?.connects).toEqual([{ url: 'ws://10.0.0.2:7880', token: 'third-token' }]);
    expect(rooms[1]?.published.map((p) => p.source)).toEqual([Track.Source.Camera]);
    // Events of the old room no longer reach the page.
    const before = events.length;
    rooms[0]!.emit(RoomEvent.Reconnected);
    expect(events).toHaveLength(before);
    await adapter.close();
  });

  it('replaces a published track in place, unpublishes on request, and refuses a session without a LiveKit URL', async () => {
    const { adapter, rooms } = setUp();
    await adapter.connect(session());
    const first = track('video');
    const second = track('video');
    await adapter.publish('camera', first);
    await adapter.publish('camera', second);
    const room = rooms[0]!;
    expect(room.published).toHaveLength(1);
    expect(room.published[0]?.track.mediaStreamTrack).toBe(second);
    expect(first.readyState).toBe('ended');
    await adapter.unpublish('camera');
    expect(room.unpublished).toHaveLength(1);
    await adapter.close();
    const other = new LivekitAdapter({ createRoom: () => new FakeRoom() as unknown as Room });
    await expect(other.connect(session({ media: { backend: 'livekit', available: true } }))).rejects.toThrow(/LiveKit server/);
  });
});

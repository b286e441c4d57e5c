// The hidden observer of one LiveKit room, as a child process of the media node
// (observer.ts starts it): @livekit/rtc-node's native library lives here, so a crash in
// it takes down this process, not the node. It joins with a hidden, subscribe-only
// token, publishes nothing, and reports presence, mutes and active speakers.
//
// livekit-server sends a participant speaker updates only about participants it is
// subscribed to, so the observer subscribes to every microphone — but keeps each
// subscription DISABLED (UpdateTrackSettings disabled: the SFU forwards no packets)
// unless the audio tap is on. With the tap on it enables them and sends their audio as
// 16 kHz mono PCM; with the tap off no audio leaves the SFU for it.
import {
  AudioStream,
  dispose,
  type Participant,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  TrackKind,
  type TrackPublication,
  TrackSource,
} from '@livekit/rtc-node';
import { EnableRemoteTrackPublicationRequest, FfiRequest, livekitFfiRequest } from '@livekit/rtc-ffi-bindings';
import { TAP_SAMPLE_RATE, type ObserverCommand, type ObserverMessage } from './observer-protocol.ts';

const send = (message: ObserverMessage): void => {
  if (process.connected) process.send?.(message);
};

let room: Room | undefined;
let tapOn = false;
/** Audio streams of the tap, by track sid. */
const streams = new Map<string, { stream: AudioStream; identity: string }>();

const sourceName = (source: TrackSource | undefined): string =>
  source === TrackSource.SOURCE_MICROPHONE
    ? 'microphone'
    : source === TrackSource.SOURCE_CAMERA
      ? 'camera'
      : source === TrackSource.SOURCE_SCREENSHARE
        ? 'screen_share'
        : source === TrackSource.SOURCE_SCREENSHARE_AUDIO
          ? 'screen_share_audio'
          : 'unknown';

const isMicrophone = (publication: TrackPublication): boolean =>
  publication.kind === TrackKind.KIND_AUDIO && publication.source === TrackSource.SOURCE_MICROPHONE;

/**
 * Enables or disables a subscribed publication on the server (the SFU pauses forwarding
 * while disabled). rtc-node 1.1 has the FFI call but no method for it, so it is sent
 * directly with the publication's FFI handle.
 */
function setEnabled(publication: RemoteTrackPublication, enabled: boolean): void {
  const handle = (publication as unknown as { ffiHandle?: { handle: bigint } }).ffiHandle?.handle;
  if (handle === undefined) return;
  const request = new FfiRequest({
    message: {
      case: 'enableRemoteTrackPublication',
      value: new EnableRemoteTrackPublicationRequest({ trackPublicationHandle: handle, enabled }),
    },
  });
  livekitFfiRequest(request.toBinary());
}

/** Subscribes to every microphone; enables them and reads their audio only while the tap is on. */
function applyTap(): void {
  for (const participant of room?.remoteParticipants.values() ?? []) {
    for (const publication of participant.trackPublications.values()) {
      if (!isMicrophone(publication)) continue;
      if (!publication.subscribed) publication.setSubscribed(true);
      else {
        setEnabled(publication, tapOn);
        if (tapOn && publication.track && !streams.has(publication.sid ?? '')) {
          void readAudio(publication.track, publication.sid ?? '', participant.identity);
        }
      }
    }
  }
  if (!tapOn) for (const sid of [...streams.keys()]) stopStream(sid);
}

function stopStream(trackSid: string): void {
  const entry = streams.get(trackSid);
  if (!entry) return;
  streams.delete(trackSid);
  void entry.stream.cancel().catch(() => undefined);
  send({ type: 'speakerGone', identity: entry.identity });
}

async function readAudio(track: RemoteTrack, trackSid: string, identity: string): Promise<void> {
  const stream = new AudioStream(track, { sampleRate: TAP_SAMPLE_RATE, numChannels: 1 });
  streams.set(trackSid, { stream, identity });
  try {
    for await (const frame of stream) {
      if (!tapOn || streams.get(trackSid)?.stream !== stream) break;
      const durationMs = (frame.samplesPerChannel / frame.sampleRate) * 1000;
      send({ type: 'audio', identity, pcm: frame.data, atMs: Date.now() - durationMs });
    }
  } catch (error) {
    send({ type: 'error', message: `audio of ${identity}: ${String(error)}` });
  } finally {
    if (streams.get(trackSid)?.stream === stream) stopStream(trackSid);
  }
}

async function connect(command: Extract<ObserverCommand, { type: 'connect' }>): Promise<void> {
  tapOn = command.tap;
  const r = new Room();
  room = r;
  const presence = (participant: Participant, present: boolean) =>
    send({ type: 'presence', identity: participant.identity, sid: participant.sid ?? '', present });
  r.on(RoomEvent.ParticipantConnected, (p: RemoteParticipant) => presence(p, true));
  r.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => presence(p, false));
  r.on(RoomEvent.TrackPublished, (publication: RemoteTrackPublication) => {
    if (isMicrophone(publication)) publication.setSubscribed(true);
  });
  r.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, publication: RemoteTrackPublication, p: RemoteParticipant) => {
    if (!isMicrophone(publication)) return;
    setEnabled(publication, tapOn);
    if (tapOn && !streams.has(publication.sid ?? '')) void readAudio(track, publication.sid ?? '', p.identity);
  });
  r.on(RoomEvent.TrackUnsubscribed, (_track, publication: RemoteTrackPublication) => stopStream(publication.sid ?? ''));
  r.on(RoomEvent.TrackUnpublished, (publication: RemoteTrackPublication) => stopStream(publication.sid ?? ''));
  r.on(RoomEvent.TrackMuted, (publication: TrackPublication, p: Participant) =>
    send({ type: 'muted', identity: p.identity, source: sourceName(publication.source), muted: true }),
  );
  r.on(RoomEvent.TrackUnmuted, (publication: TrackPublication, p: Participant) =>
    send({ type: 'muted', identity: p.identity, source: sourceName(publication.source), muted: false }),
  );
  r.on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) =>
    send({ type: 'activeSpeakers', identities: speakers.map((s) => s.identity) }),
  );
  r.on(RoomEvent.Disconnected, (reason) => {
    send({ type: 'disconnected', reason: String(reason) });
    void shutdown(0);
  });
  await r.connect(command.url, command.token, { autoSubscribe: false, dynacast: false });
  for (const p of r.remoteParticipants.values()) {
    presence(p, true);
    // Mutes that happened while no observer ran (a restart) are reconciled here.
    for (const publication of p.trackPublications.values()) {
      send({ type: 'muted', identity: p.identity, source: sourceName(publication.source), muted: publication.muted === true });
    }
  }
  applyTap();
  send({ type: 'connected' });
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  tapOn = false;
  for (const sid of [...streams.keys()]) stopStream(sid);
  await room?.disconnect().catch(() => undefined);
  await dispose().catch(() => undefined);
  process.exit(code);
}

process.on('message', (command: ObserverCommand) => {
  switch (command.type) {
    case 'connect':
      connect(command).catch((error: unknown) => {
        send({ type: 'error', message: `connect failed: ${error instanceof Error ? error.message : String(error)}` });
        void shutdown(1);
      });
      return;
    case 'tap':
      tapOn = command.on;
      applyTap();
      return;
    case 'close':
      void shutdown(0);
      return;
  }
});
// The node went away: nothing to report to any more.
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

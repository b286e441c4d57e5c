// A LiveKit participant (@livekit/rtc-node) as a child process, driven by JSON lines on
// stdin and reporting JSON lines on stdout. Run it INSIDE a test namespace (netns.ts:
// `ns.spawn(process.execPath, [thisFile])`): rtc-node gathers ICE candidates on every
// interface it sees, and inside the namespace those are only lo and the veth.
// Use it through rtc-participant-client.ts.
//
// Commands (stdin, one JSON object per line, optionally with a `seq` number; each is
// answered by `{"event":"ok","cmd":…,"seq":…}` or `{"event":"error","cmd":…,"seq":…,"message":…}`):
//   {"cmd":"connect","url":"ws://10.x.y.2:7880","token":"…","autoSubscribe":true}
//   {"cmd":"publishTone","frequencyHz":440,"amplitude":0.3,"sampleRate":48000,"name":"microphone"}
//       publishes a generated sine tone as the microphone, until unpublish/disconnect
//   {"cmd":"publishWav","path":"/tmp/speech.wav","loop":false}
//       publishes a 16-bit PCM WAV file (any rate, mono or stereo) as the microphone;
//       reports {"event":"wavEnded"} when it has been sent (and stays published, silent)
//   {"cmd":"setSilent","silent":true}    keeps the microphone published but sends silence (or sound again)
//   {"cmd":"unpublish"}                  unpublishes the microphone
//   {"cmd":"state"}                      answers with {"event":"state", remote participants and publications}
//   {"cmd":"disconnect"}                 leaves the room and exits
//
// Events (stdout):
//   {"event":"ready"}                                       the process is up
//   {"event":"connected","identity","room"}
//   {"event":"participantConnected"|"participantDisconnected","identity"}
//   {"event":"trackPublished"|"trackUnpublished"|"trackSubscribed"|"trackUnsubscribed",
//    "identity","trackSid","kind","source"}
//   {"event":"trackMuted"|"trackUnmuted","identity","trackSid","source"}   (also for the local participant)
//   {"event":"audio","identity","trackSid","frames","samples","rms","dominantHz","sampleRate"}
//        every ~reportMs (default 500) per subscribed audio track: frames received in
//        the window, RMS (0..1 of full scale) and a zero-crossing frequency estimate
//   {"event":"activeSpeakers","identities":[…]}
//   {"event":"disconnected","reason"}
//   {"event":"log","message"}                                anything unexpected
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  dispose,
  LocalAudioTrack,
  type Participant,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  type TrackPublication,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';

type Command = { cmd: string; [key: string]: unknown };

const emit = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

let room: Room | undefined;
let source: AudioSource | undefined;
let track: LocalAudioTrack | undefined;
let publishing = false;
let silent = false;
let reportMs = 500;
const streams = new Set<AudioStream>();

const sourceName = (s: TrackSource | undefined): string => {
  switch (s) {
    case TrackSource.SOURCE_MICROPHONE:
      return 'microphone';
    case TrackSource.SOURCE_CAMERA:
      return 'camera';
    case TrackSource.SOURCE_SCREENSHARE:
      return 'screen_share';
    case TrackSource.SOURCE_SCREENSHARE_AUDIO:
      return 'screen_share_audio';
    default:
      return 'unknown';
  }
};

const trackFacts = (publication: TrackPublication, participant: Participant) => ({
  identity: participant.identity,
  trackSid: publication.sid,
  kind: publication.kind === TrackKind.KIND_AUDIO ? 'audio' : 'video',
  source: sourceName(publication.source),
});

async function connect(command: Command): Promise<void> {
  if (room) throw new Error('already connected');
  reportMs = typeof command.reportMs === 'number' ? command.reportMs : 500;
  const r = new Room();
  room = r;
  r.on(RoomEvent.ParticipantConnected, (p) => emit({ event: 'participantConnected', identity: p.identity }));
  r.on(RoomEvent.ParticipantDisconnected, (p) => emit({ event: 'participantDisconnected', identity: p.identity }));
  r.on(RoomEvent.TrackPublished, (pub, p) => emit({ event: 'trackPublished', ...trackFacts(pub, p) }));
  r.on(RoomEvent.TrackUnpublished, (pub, p) => emit({ event: 'trackUnpublished', ...trackFacts(pub, p) }));
  r.on(RoomEvent.TrackMuted, (pub, p) => emit({ event: 'trackMuted', ...trackFacts(pub, p) }));
  r.on(RoomEvent.TrackUnmuted, (pub, p) => emit({ event: 'trackUnmuted', ...trackFacts(pub, p) }));
  r.on(RoomEvent.TrackUnsubscribed, (_t, pub, p) => emit({ event: 'trackUnsubscribed', ...trackFacts(pub, p) }));
  r.on(RoomEvent.TrackSubscribed, (t: RemoteTrack, pub: RemoteTrackPublication, p) => {
    emit({ event: 'trackSubscribed', ...trackFacts(pub, p) });
    if (t.kind === TrackKind.KIND_AUDIO) void measure(t, p.identity, pub.sid ?? '');
  });
  r.on(RoomEvent.ActiveSpeakersChanged, (speakers) => emit({ event: 'activeSpeakers', identities: speakers.map((s) => s.identity) }));
  r.on(RoomEvent.Disconnected, (reason) => emit({ event: 'disconnected', reason: String(reason) }));
  await r.connect(String(command.url), String(command.token), {
    autoSubscribe: command.autoSubscribe !== false,
    dynacast: false,
  });
  emit({ event: 'connected', identity: r.localParticipant?.identity, room: r.name });
}

/** Reads a subscribed audio track and reports energy and frequency per window. */
async function measure(remote: RemoteTrack, identity: string, trackSid: string): Promise<void> {
  const sampleRate = 48_000;
  const stream = new AudioStream(remote, { sampleRate, numChannels: 1 });
  streams.add(stream);
  let frames = 0;
  let samples = 0;
  let sumSquares = 0;
  let crossings = 0;
  let last = 0;
  let windowStart = Date.now();
  try {
    for await (const frame of stream) {
      frames++;
      const data = frame.data;
      for (let i = 0; i < data.length; i++) {
        const v = (data[i] ?? 0) / 32_768;
        sumSquares += v * v;
        if ((v >= 0) !== (last >= 0)) crossings++;
        last = v;
      }
      samples += data.length;
      if (Date.now() - windowStart >= reportMs) {
        const seconds = samples / sampleRate;
        emit({
          event: 'audio',
          identity,
          trackSid,
          frames,
          samples,
          rms: samples > 0 ? Math.sqrt(sumSquares / samples) : 0,
          dominantHz: seconds > 0 ? crossings / 2 / seconds : 0,
          sampleRate,
        });
        frames = 0;
        samples = 0;
        sumSquares = 0;
        crossings = 0;
        windowStart = Date.now();
      }
    }
  } catch (error) {
    emit({ event: 'log', message: `audio stream of ${identity} ended: ${String(error)}` });
  } finally {
    streams.delete(stream);
  }
}

async function publishMicrophone(sampleRate: number, name: string): Promise<AudioSource> {
  if (!room?.localParticipant) throw new Error('connect first');
  if (source) throw new Error('already publishing');
  source = new AudioSource(sampleRate, 1);
  track = LocalAudioTrack.createAudioTrack(name, source);
  const options = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
  const publication = await room.localParticipant.publishTrack(track, options);
  publishing = true;
  emit({ event: 'published', trackSid: publication.sid });
  return source;
}

/** Feeds 10 ms frames in real time until unpublished. */
async function pump(audio: AudioSource, sampleRate: number, next: (frameSamples: number) => Int16Array | undefined): Promise<void> {
  const frameSamples = sampleRate / 100;
  while (publishing && source === audio) {
    const sound = next(frameSamples);
    const data = silent || !sound ? new Int16Array(frameSamples) : sound;
    // captureFrame resolves as the source's queue drains: it paces the loop in real time.
    await audio.captureFrame(new AudioFrame(data, sampleRate, 1, frameSamples));
  }
}

async function publishTone(command: Command): Promise<void> {
  const sampleRate = typeof command.sampleRate === 'number' ? command.sampleRate : 48_000;
  const frequency = typeof command.frequencyHz === 'number' ? command.frequencyHz : 440;
  const amplitude = typeof command.amplitude === 'number' ? command.amplitude : 0.3;
  const audio = await publishMicrophone(sampleRate, typeof command.name === 'string' ? command.name : 'microphone');
  let n = 0;
  void pump(audio, sampleRate, (count) => {
    const data = new Int16Array(count);
    for (let i = 0; i < count; i++, n++) data[i] = Math.round(amplitude * 32_767 * Math.sin((2 * Math.PI * frequency * n) / sampleRate));
    return data;
  }).catch((error: unknown) => emit({ event: 'log', message: `tone stopped: ${String(error)}` }));
}

async function publishWav(command: Command): Promise<void> {
  const wav = parseWav(await readFile(String(command.path)));
  const audio = await publishMicrophone(wav.sampleRate, 'microphone');
  let offset = 0;
  let ended = false;
  void pump(audio, wav.sampleRate, (count) => {
    if (offset >= wav.samples.length) {
      if (command.loop === true) offset = 0;
      else {
        if (!ended) emit({ event: 'wavEnded' });
        ended = true;
        return undefined;
      }
    }
    const chunk = new Int16Array(count);
    chunk.set(wav.samples.subarray(offset, Math.min(offset + count, wav.samples.length)));
    offset += count;
    return chunk;
  }).catch((error: unknown) => emit({ event: 'log', message: `wav stopped: ${String(error)}` }));
}

/** Mono 16-bit samples of a PCM WAV file (stereo is mixed down). */
function parseWav(buffer: Buffer): { sampleRate: number; samples: Int16Array } {
  if (buffer.toString('ascii', 0, 4) !== 'RIFF' || buffer.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let offset = 12;
  let sampleRate = 0;
  let channels = 0;
  let bits = 0;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString('ascii', offset, offset + 4);
    const size = buffer.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (buffer.readUInt16LE(body) !== 1) throw new Error('only PCM WAV files are supported');
      channels = buffer.readUInt16LE(body + 2);
      sampleRate = buffer.readUInt32LE(body + 4);
      bits = buffer.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1) throw new Error('only 16-bit WAV files are supported');
      const frames = Math.floor(Math.min(size, buffer.length - body) / 2 / channels);
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += buffer.readInt16LE(body + (i * channels + c) * 2);
        samples[i] = Math.round(sum / channels);
      }
      return { sampleRate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV file has no data chunk');
}

async function unpublish(): Promise<void> {
  publishing = false;
  const sid = track?.sid;
  if (room?.localParticipant && sid) await room.localParticipant.unpublishTrack(sid);
  await source?.close();
  source = undefined;
  track = undefined;
}

function state(): Record<string, unknown> {
  const participants = [...(room?.remoteParticipants.values() ?? [])].map((p) => ({
    identity: p.identity,
    publications: [...p.trackPublications.values()].map((pub) => ({ ...trackFacts(pub, p), muted: pub.muted ?? false })),
  }));
  const local = room?.localParticipant;
  return {
    event: 'state',
    connected: room?.isConnected ?? false,
    identity: local?.identity,
    local: local ? [...local.trackPublications.values()].map((pub) => ({ ...trackFacts(pub, local), muted: pub.muted ?? false })) : [],
    participants,
  };
}

async function shutdown(code: number): Promise<never> {
  publishing = false;
  for (const stream of streams) await stream.cancel().catch(() => undefined);
  await room?.disconnect().catch(() => undefined);
  await dispose().catch(() => undefined);
  process.exit(code);
}

async function handle(command: Command): Promise<void> {
  switch (command.cmd) {
    case 'connect':
      return connect(command);
    case 'publishTone':
      return publishTone(command);
    case 'publishWav':
      return publishWav(command);
    case 'setSilent':
      if (!track) throw new Error('nothing published');
      silent = command.silent === true;
      return;
    case 'unpublish':
      return unpublish();
    case 'state':
      emit(state());
      return;
    case 'disconnect':
      emit({ event: 'ok', cmd: 'disconnect', seq: command.seq });
      await shutdown(0);
      return;
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let command: Command;
  try {
    command = JSON.parse(line) as Command;
  } catch {
    emit({ event: 'error', cmd: null, message: 'not JSON' });
    return;
  }
  handle(command).then(
    () => emit({ event: 'ok', cmd: command.cmd, seq: command.seq }),
    (error: unknown) =>
      emit({ event: 'error', cmd: command.cmd, seq: command.seq, message: error instanceof Error ? error.message : String(error) }),
  );
});
// The parent went away: leave the room and exit.
lines.on('close', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
emit({ event: 'ready' });

// An SFU engine for the captions suites that need no WebRTC: its rooms are real SfuRooms
// to the signaling layer (join, leave, setAudioTap, end, close) and let a test play PCM
// into the audio tap the captions pipeline installs, as an engine's decoder would:
// 20 ms frames of 16 kHz mono Int16 with wall-clock times. The end-to-end suites over a
// real SFU (LiveKit, mediasoup) run the same pipeline with the engines' own taps.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AudioTapSink, SfuCounts, SfuEngine, SfuRoom, SfuRoomEvents } from '../src/sfu/engine.ts';
import { fail } from '../src/signaling/types.ts';

const FRAME = 320; // 20 ms at 16 kHz

export class TapRoom implements SfuRoom {
  readonly meetingId: string;
  /** The installed tap, if any. */
  sink: AudioTapSink | undefined;
  /** Every setAudioTap call: true = tap installed, false = removed. */
  readonly tapChanges: boolean[] = [];
  closed = false;

  constructor(meetingId: string) {
    this.meetingId = meetingId;
  }

  media() {
    return { backend: 'mediasoup' as const, available: true };
  }
  async join(): Promise<void> {}
  async leave(userId: string): Promise<void> {
    this.sink?.onSpeakerGone(userId);
  }
  async handle() {
    return fail('unsupported', 'the test engine carries no media');
  }
  async muteMicrophone(): Promise<boolean> {
    return false;
  }
  async removeParticipant(): Promise<void> {}
  async setAudioTap(sink: AudioTapSink | undefined): Promise<void> {
    this.sink = sink;
    this.tapChanges.push(sink !== undefined);
  }
  async end(): Promise<void> {
    await this.close();
  }
  async close(): Promise<void> {
    this.closed = true;
    this.sink = undefined;
  }

  /**
   * Plays `pcm` as `userId`'s microphone from wall-clock `startAtMs` (default now), frame by
   * frame, `speed` times faster than real time (1 for latency measurements; default 4, well
   * within what the VAD keeps up with), the frames' times always 20 ms apart. Frames reach
   * the tap only while one is installed (as with a real SFU). Resolves with the time of the
   * last sample.
   */
  async play(userId: string, pcm: Int16Array, options: { speed?: number; startAtMs?: number } = {}): Promise<number> {
    const start = options.startAtMs ?? Date.now();
    const speed = options.speed ?? 4;
    const wallStart = Date.now();
    for (let i = 0, at = 0; at < pcm.length; i++, at += FRAME) {
      this.sink?.onAudio(userId, pcm.slice(at, Math.min(pcm.length, at + FRAME)), start + i * 20);
      const wait = wallStart + ((i + 1) * 20) / speed - Date.now();
      if (wait > 0) await sleep(wait);
    }
    return start + (pcm.length / 16_000) * 1000;
  }
}

/** The engine: one TapRoom per meeting, kept for the test to find. */
export class TapEngine implements SfuEngine {
  readonly backend = 'mediasoup' as const;
  readonly available = true;
  readonly rooms = new Map<string, TapRoom>();

  async openRoom(meetingId: string, _events: SfuRoomEvents): Promise<SfuRoom> {
    const room = new TapRoom(meetingId);
    this.rooms.set(meetingId, room);
    return room;
  }
  counts(): SfuCounts {
    return { rooms: this.rooms.size, transports: 0, producers: 0, consumers: 0 };
  }
  async close(): Promise<void> {
    for (const room of this.rooms.values()) await room.close();
  }
}

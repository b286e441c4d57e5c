import { SpeechSegmenter, type FrameSegment, type SegmenterOptions } from './segmenter.ts';
import { VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE, type VadStream } from './vad.ts';

// One speaker's microphone on its way to captions: 16 kHz Int16 PCM frames from the SFU's
// audio tap → 512-sample VAD frames (Silero, one at a time: the model is recurrent) →
// speech segments (segmenter.ts) → utterances: the segment's audio with a little padding
// on both sides, and its wall-clock start and end.
//
// Time: the first frame's `atMs` anchors sample 0; later samples are timed by counting
// (a 20 ms frame is 320 samples). A frame arriving more than `gapMs` later than the count
// says (muted, unpublished and republished, a network stall) is a discontinuity: the open
// utterance is finished, the VAD reset, and the clock re-anchored.
//
// Memory: only the open utterance (≤ maxSpeechMs) plus padding is kept. Audio the VAD has
// not reached yet is bounded by `backlogMs`: beyond it new audio is dropped and counted
// (the node is overloaded; captions fall behind rather than memory growing).

/** A finished utterance of one speaker. */
export interface UtteranceAudio {
  userId: string;
  /** The speech with `padMs` before and after (as far as audio exists), 16 kHz mono. */
  pcm: Int16Array;
  /** Wall clock (ms since the epoch) of the first and last speech sample, without padding. */
  startedAtMs: number;
  endedAtMs: number;
  /** Speech length (endedAtMs − startedAtMs), the talk time it adds. */
  speechMs: number;
}

/** Settings of a speaker stream. */
export interface SpeakerStreamOptions {
  segmenter: Partial<SegmenterOptions>;
  /** Audio kept before and after the speech of an utterance, ms. */
  padMs: number;
  /** A frame later than this against the sample clock is a discontinuity, ms. */
  gapMs: number;
  /** Most audio waiting for the VAD, ms; more is dropped. */
  backlogMs: number;
}

export const DEFAULT_SPEAKER_STREAM: SpeakerStreamOptions = { segmenter: {}, padMs: 200, gapMs: 300, backlogMs: 10_000 };

const msToSamples = (ms: number) => Math.round((ms * VAD_SAMPLE_RATE) / 1000);
const samplesToMs = (samples: number) => (samples * 1000) / VAD_SAMPLE_RATE;

/** Callbacks of a speaker stream; they must not throw. */
export interface SpeakerStreamEvents {
  utterance(utterance: UtteranceAudio): void;
  /** Audio dropped because the VAD fell behind, ms. */
  dropped(ms: number): void;
  /** The VAD failed on a frame (logged by the owner); the stream carries on. */
  error(error: unknown): void;
}

/** The audio path of one speaker; `push` never blocks, work runs in order on a chain. */
export class SpeakerStream {
  readonly userId: string;
  readonly #vad: VadStream;
  readonly #o: SpeakerStreamOptions;
  readonly #events: SpeakerStreamEvents;
  #segmenter: SpeechSegmenter;
  #chain: Promise<void> = Promise.resolve();
  #backlogSamples = 0;
  // Sample clock: sample `#anchorSample` (counted from the stream's start) was heard at `#anchorMs`.
  #anchorMs: number | undefined;
  #anchorSample = 0;
  /** Samples received (accepted) so far. */
  #received = 0;
  /** Sample index of the segmenter's frame 0 (moves at each discontinuity). */
  #segmenterBase = 0;
  // Partial VAD frame.
  readonly #frame = new Int16Array(VAD_FRAME_SAMPLES);
  #frameFill = 0;
  // Audio the VAD has seen: samples [#audioStart, #audioStart + #audioLength).
  #audio: Int16Array;
  #audioStart = 0;
  #audioLength = 0;
  #closed = false;

  constructor(userId: string, vad: VadStream, options: SpeakerStreamOptions, events: SpeakerStreamEvents) {
    this.userId = userId;
    this.#vad = vad;
    this.#o = options;
    this.#events = events;
    this.#segmenter = new SpeechSegmenter(options.segmenter);
    const maxSpeechMs = options.segmenter.maxSpeechMs ?? 8_000;
    this.#audio = new Int16Array(msToSamples(maxSpeechMs + 2 * options.padMs + 2_000));
  }

  /** One frame from the tap. Never throws; processed in order. */
  push(pcm: Int16Array, atMs: number): void {
    if (this.#closed || pcm.length === 0) return;
    if (this.#backlogSamples + pcm.length > msToSamples(this.#o.backlogMs)) {
      this.#events.dropped(samplesToMs(pcm.length));
      return;
    }
    const copy = pcm.slice();
    this.#backlogSamples += copy.length;
    this.#chain = this.#chain.then(() => this.#accept(copy, atMs)).catch((error: unknown) => this.#events.error(error));
  }

  /** The speaker is gone (or the stream ends): finishes what is buffered. Resolves when done. */
  flush(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#finish()).catch((error: unknown) => this.#events.error(error));
    return this.#chain;
  }

  /** Drops everything buffered without producing utterances (captions switched off). */
  close(): void {
    this.#closed = true;
  }

  /** Resolves when everything pushed so far has been processed. */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #accept(pcm: Int16Array, atMs: number): Promise<void> {
    this.#backlogSamples -= pcm.length;
    if (this.#closed) return;
    const expectedMs = this.#anchorMs === undefined ? undefined : this.#anchorMs + samplesToMs(this.#received - this.#anchorSample);
    if (expectedMs === undefined || atMs - expectedMs > this.#o.gapMs) {
      if (expectedMs !== undefined) await this.#finish();
      this.#anchorMs = atMs;
      this.#anchorSample = this.#received;
    }
    this.#received += pcm.length;
    let at = 0;
    while (at < pcm.length) {
      const n = Math.min(VAD_FRAME_SAMPLES - this.#frameFill, pcm.length - at);
      this.#frame.set(pcm.subarray(at, at + n), this.#frameFill);
      this.#frameFill += n;
      at += n;
      if (this.#frameFill === VAD_FRAME_SAMPLES) {
        this.#frameFill = 0;
        await this.#processFrame(this.#frame);
        if (this.#closed) return;
      }
    }
  }

  async #processFrame(frame: Int16Array): Promise<void> {
    this.#append(frame);
    const probability = await this.#vad.probability(frame);
    for (const segment of this.#segmenter.push(probability)) this.#emit(segment);
    this.#trim();
  }

  /** Ends the current run of audio: the partial frame (zero-filled) and any open segment. */
  async #finish(): Promise<void> {
    if (this.#closed) return;
    if (this.#frameFill > 0) {
      const last = new Int16Array(VAD_FRAME_SAMPLES);
      last.set(this.#frame.subarray(0, this.#frameFill));
      this.#frameFill = 0;
      await this.#processFrame(last);
    }
    for (const segment of this.#segmenter.flush()) this.#emit(segment);
    this.#vad.reset();
    // The next audio starts a new segmenter timeline at the next sample.
    this.#segmenterBase = this.#audioStart + this.#audioLength;
    this.#received = this.#segmenterBase; // the zero fill counts as heard: one index space
    this.#segmenter = new SpeechSegmenter(this.#o.segmenter);
    this.#audioStart = this.#segmenterBase;
    this.#audioLength = 0;
  }

  #append(frame: Int16Array): void {
    if (this.#audioLength + frame.length > this.#audio.length) {
      // Cannot happen with trimming at work, but never overflow: drop the oldest audio.
      const drop = this.#audioLength + frame.length - this.#audio.length;
      this.#audio.copyWithin(0, drop, this.#audioLength);
      this.#audioStart += drop;
      this.#audioLength -= drop;
    }
    this.#audio.set(frame, this.#audioLength);
    this.#audioLength += frame.length;
  }

  /** Keeps the open segment and the padding before it (or, in silence, just the padding). */
  #trim(): void {
    const open = this.#segmenter.openStart;
    const end = this.#audioStart + this.#audioLength;
    const keepFrom = Math.max(this.#audioStart, (open === undefined ? end : this.#segmenterBase + open * VAD_FRAME_SAMPLES) - msToSamples(this.#o.padMs));
    const drop = keepFrom - this.#audioStart;
    if (drop < VAD_FRAME_SAMPLES * 8) return; // compact in batches
    this.#audio.copyWithin(0, drop, this.#audioLength);
    this.#audioStart = keepFrom;
    this.#audioLength -= drop;
  }

  #emit(segment: FrameSegment): void {
    const speechStart = this.#segmenterBase + segment.startFrame * VAD_FRAME_SAMPLES;
    const speechEnd = this.#segmenterBase + segment.endFrame * VAD_FRAME_SAMPLES;
    const pad = msToSamples(this.#o.padMs);
    const from = Math.max(this.#audioStart, speechStart - pad);
    const to = Math.min(this.#audioStart + this.#audioLength, speechEnd + pad);
    if (to <= from) return;
    const timeOf = (sample: number) => (this.#anchorMs ?? 0) + samplesToMs(sample - this.#anchorSample);
    this.#events.utterance({
      userId: this.userId,
      pcm: this.#audio.slice(from - this.#audioStart, to - this.#audioStart),
      startedAtMs: timeOf(speechStart),
      endedAtMs: timeOf(speechEnd),
      speechMs: samplesToMs(speechEnd - speechStart),
    });
  }
}

import { VAD_FRAME_MS } from './vad.ts';

// Speech segments from per-frame speech probabilities, the way Silero's own
// get_speech_timestamps does it, as a streaming state machine:
//   - speech starts at the first frame with p ≥ threshold;
//   - inside speech, a frame with p < threshold − 0.15 starts a possible end; a frame
//     back above the threshold cancels it; silence lasting minSilenceMs ends the segment
//     where the silence began;
//   - a segment reaching maxSpeechMs is cut: at the start of the last pause of at least
//     splitSilenceMs inside it when there is one, else right there; speech continuing
//     after a cut opens the next segment at once;
//   - segments shorter than minSpeechMs (clicks, coughs) are dropped.
// Positions are frame indices; times are index × VAD_FRAME_MS.

/** Segmenter settings (ms). Defaults suit live captions: short pauses cut, ≤ 8 s per utterance. */
export interface SegmenterOptions {
  /** Probability at or above which a frame is speech. */
  threshold: number;
  /** Silence that ends a segment, ms. */
  minSilenceMs: number;
  /** Shorter segments are dropped, ms. */
  minSpeechMs: number;
  /** Longest segment, ms. */
  maxSpeechMs: number;
  /** A pause this long inside a too-long segment is where it is cut, ms. */
  splitSilenceMs: number;
}

export const DEFAULT_SEGMENTER: SegmenterOptions = {
  threshold: 0.5,
  minSilenceMs: 400,
  minSpeechMs: 250,
  maxSpeechMs: 8_000,
  splitSilenceMs: 100,
};

/** A finished segment: frames [startFrame, endFrame). */
export interface FrameSegment {
  startFrame: number;
  endFrame: number;
}

/** Streaming segmenter: feed one probability per frame, collect finished segments. */
export class SpeechSegmenter {
  readonly #o: SegmenterOptions;
  readonly #negThreshold: number;
  readonly #minSilence: number;
  readonly #minSpeech: number;
  readonly #maxSpeech: number;
  readonly #splitSilence: number;
  #frame = 0;
  #start: number | undefined;
  /** First frame of the current pause inside speech. */
  #silenceStart: number | undefined;
  /** Start of the last long-enough pause inside the current segment (a cut point). */
  #lastPause: number | undefined;

  constructor(options: Partial<SegmenterOptions> = {}) {
    this.#o = { ...DEFAULT_SEGMENTER, ...options };
    this.#negThreshold = Math.max(0.01, this.#o.threshold - 0.15);
    const frames = (ms: number) => Math.max(1, Math.round(ms / VAD_FRAME_MS));
    this.#minSilence = frames(this.#o.minSilenceMs);
    this.#minSpeech = frames(this.#o.minSpeechMs);
    this.#maxSpeech = frames(this.#o.maxSpeechMs);
    this.#splitSilence = frames(this.#o.splitSilenceMs);
  }

  /** True while a segment is open. */
  get inSpeech(): boolean {
    return this.#start !== undefined;
  }

  /** Start frame of the open segment. */
  get openStart(): number | undefined {
    return this.#start;
  }

  /** Frames pushed so far. */
  get frames(): number {
    return this.#frame;
  }

  /** The next frame's probability; returns the segments it finished (0, 1, or rarely 2). */
  push(probability: number): FrameSegment[] {
    const f = this.#frame++;
    const done: FrameSegment[] = [];
    if (this.#start === undefined) {
      if (probability >= this.#o.threshold) {
        this.#start = f;
        this.#silenceStart = undefined;
        this.#lastPause = undefined;
      }
      return done;
    }
    if (probability >= this.#o.threshold) {
      if (this.#silenceStart !== undefined && f - this.#silenceStart >= this.#splitSilence) this.#lastPause = this.#silenceStart;
      this.#silenceStart = undefined;
    } else if (probability < this.#negThreshold && this.#silenceStart === undefined) {
      this.#silenceStart = f;
    }
    if (this.#silenceStart !== undefined && f + 1 - this.#silenceStart >= this.#minSilence) {
      this.#emit(this.#start, this.#silenceStart, done);
      this.#start = undefined;
      this.#silenceStart = undefined;
      return done;
    }
    if (f + 1 - this.#start >= this.#maxSpeech) {
      const inPause = this.#silenceStart !== undefined;
      const cut = inPause ? this.#silenceStart! : (this.#lastPause ?? f + 1);
      this.#emit(this.#start, cut, done);
      // What follows the cut is still speech unless we are inside a pause.
      this.#start = inPause ? undefined : cut;
      this.#silenceStart = undefined;
      this.#lastPause = undefined;
    }
    return done;
  }

  /** Ends the stream: the open segment (if long enough) is finished where speech was last heard. */
  flush(): FrameSegment[] {
    const done: FrameSegment[] = [];
    if (this.#start !== undefined) this.#emit(this.#start, this.#silenceStart ?? this.#frame, done);
    this.#start = undefined;
    this.#silenceStart = undefined;
    this.#lastPause = undefined;
    return done;
  }

  #emit(startFrame: number, endFrame: number, into: FrameSegment[]): void {
    if (endFrame - startFrame >= this.#minSpeech) into.push({ startFrame, endFrame });
  }
}

// Energy-based voice activity detector (offline, deterministic). No VAD library that runs
// here without downloading a model fit (node-vad is an unmaintained native addon; Silero
// ports need model files), so this is the classic detector:
//   1. split the PCM into frames of `frameMs`;
//   2. a frame is voiced when its RMS level in dBFS (20·log10(rms / 32768)) is at least
//      `thresholdDb`;
//   3. voiced frames separated by less than `hangoverMs` of silence belong to one segment
//      (speech has short pauses between words and syllables);
//   4. a segment runs from its first voiced frame's start to its last voiced frame's end,
//      and segments shorter than `minSegmentMs` (clicks, bumps) are dropped.
// Boundaries are therefore exact to one frame.

/** Detector settings; defaults suit close-talk meeting microphones. */
export interface SpeechDetectorOptions {
  /** Frame length, ms. */
  frameMs: number;
  /** Level at or above which a frame is voiced, dBFS. */
  thresholdDb: number;
  /** Silence shorter than this inside speech does not end a segment, ms. */
  hangoverMs: number;
  /** Shorter segments are dropped, ms. */
  minSegmentMs: number;
}

export const DEFAULT_SPEECH_DETECTOR: SpeechDetectorOptions = {
  frameMs: 20,
  thresholdDb: -45,
  hangoverMs: 300,
  minSegmentMs: 100,
};

/** Name and version stored with each result, so results stay comparable. */
export const SPEECH_DETECTOR_NAME = 'energy-v1';

/** Speaking segments of 16-bit little-endian mono PCM. */
export function detectSpeech(
  pcm: Uint8Array,
  sampleRate: number,
  options: SpeechDetectorOptions = DEFAULT_SPEECH_DETECTOR,
): { durationMs: number; talkTimeMs: number; segments: { startMs: number; endMs: number }[] } {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength - (pcm.byteLength % 2));
  const samples = view.byteLength / 2;
  const durationMs = (samples / sampleRate) * 1000;
  const frameSamples = Math.max(1, Math.round((sampleRate * options.frameMs) / 1000));
  const frameCount = Math.ceil(samples / frameSamples);
  const hangoverFrames = Math.ceil(options.hangoverMs / options.frameMs);

  const segments: { startMs: number; endMs: number }[] = [];
  let open: { start: number; lastVoiced: number } | undefined;
  const close = () => {
    if (!open) return;
    const startMs = (open.start * frameSamples * 1000) / sampleRate;
    const endMs = Math.min(durationMs, ((open.lastVoiced + 1) * frameSamples * 1000) / sampleRate);
    if (endMs - startMs >= options.minSegmentMs) segments.push({ startMs, endMs });
    open = undefined;
  };

  for (let f = 0; f < frameCount; f++) {
    const from = f * frameSamples;
    const to = Math.min(samples, from + frameSamples);
    let sum = 0;
    for (let i = from; i < to; i++) {
      const s = view.getInt16(i * 2, true);
      sum += s * s;
    }
    const rms = Math.sqrt(sum / (to - from));
    const db = rms > 0 ? 20 * Math.log10(rms / 32_768) : -Infinity;
    if (db >= options.thresholdDb) {
      if (open && f - open.lastVoiced > hangoverFrames) close();
      if (open) open.lastVoiced = f;
      else open = { start: f, lastVoiced: f };
    }
  }
  close();
  const talkTimeMs = segments.reduce((t, s) => t + (s.endMs - s.startMs), 0);
  return { durationMs, talkTimeMs, segments };
}

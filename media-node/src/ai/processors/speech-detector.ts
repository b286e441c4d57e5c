import { DEFAULT_SEGMENTER, SpeechSegmenter, type SegmenterOptions } from '../../captions/segmenter.ts';
import { VAD_FRAME_MS, VAD_FRAME_SAMPLES, VAD_NAME, VAD_SAMPLE_RATE, type SileroVad } from '../../captions/vad.ts';

// Speaking segments of a chunk of PCM for `speech_activity`: the project's one VAD
// (Silero, captions/vad.ts) and the same segmenter as the live captions, run over the
// whole chunk. 48 kHz input is brought to the VAD's 16 kHz by averaging each run of 3
// samples (a box filter is enough for a speech/no-speech decision). Segments are speech
// only (no padding); talk time is their sum.

/** Name and version stored with each result, so results stay comparable. */
export const SPEECH_DETECTOR_NAME = VAD_NAME;

/** Offline segments: long pauses between sentences split them, as in live captions. */
const OFFLINE_SEGMENTER: SegmenterOptions = { ...DEFAULT_SEGMENTER, minSilenceMs: 300, minSpeechMs: 100, maxSpeechMs: 30_000 };

/** 16-bit little-endian mono PCM at 16 or 48 kHz → Int16 samples at 16 kHz. */
export function toVadRate(pcm: Uint8Array, sampleRate: number): Int16Array {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength - (pcm.byteLength % 2));
  const samples = view.byteLength / 2;
  const factor = Math.round(sampleRate / VAD_SAMPLE_RATE);
  if (factor < 1 || sampleRate % VAD_SAMPLE_RATE !== 0) throw new RangeError(`unsupported sample rate ${sampleRate}`);
  const out = new Int16Array(Math.floor(samples / factor));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < factor; k++) sum += view.getInt16((i * factor + k) * 2, true);
    out[i] = Math.round(sum / factor);
  }
  return out;
}

/** Speaking segments (ms from the chunk's start) and talk time of 16-bit mono PCM. */
export async function detectSpeech(
  vad: SileroVad,
  pcm: Uint8Array,
  sampleRate: number,
): Promise<{ durationMs: number; talkTimeMs: number; segments: { startMs: number; endMs: number }[] }> {
  const samples = toVadRate(pcm, sampleRate);
  const durationMs = (samples.length / VAD_SAMPLE_RATE) * 1000;
  const stream = vad.stream();
  const segmenter = new SpeechSegmenter(OFFLINE_SEGMENTER);
  const found: { startFrame: number; endFrame: number }[] = [];
  const frame = new Int16Array(VAD_FRAME_SAMPLES);
  for (let at = 0; at < samples.length; at += VAD_FRAME_SAMPLES) {
    frame.fill(0);
    frame.set(samples.subarray(at, Math.min(samples.length, at + VAD_FRAME_SAMPLES)));
    found.push(...segmenter.push(await stream.probability(frame)));
  }
  found.push(...segmenter.flush());
  const segments = found.map((s) => ({
    startMs: s.startFrame * VAD_FRAME_MS,
    endMs: Math.min(durationMs, s.endFrame * VAD_FRAME_MS),
  }));
  const talkTimeMs = segments.reduce((t, s) => t + (s.endMs - s.startMs), 0);
  return { durationMs, talkTimeMs, segments };
}

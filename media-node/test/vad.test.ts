import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSpeech } from '../src/ai/processors/speech-detector.ts';
import { SpeechSegmenter } from '../src/captions/segmenter.ts';
import { SileroVad, VAD_FRAME_MS } from '../src/captions/vad.ts';
import { concatPcm, noise, silence, speak, speechToolsMissing } from '../../scripts/src/testing/speech.ts';

// The one VAD (Silero v5 through onnxruntime-node) on real espeak-ng speech, silence,
// noise and tones; and the segmenter's cutting rules on scripted probabilities.
const missing = await speechToolsMissing();
if (missing.length > 0) console.log(`SKIP VAD speech tests: ${missing.join(', ')} not installed`);

const bytes = (pcm: Int16Array) => new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
const tone = (ms: number, hz: number, amplitude = 8_000) =>
  Int16Array.from({ length: (16_000 * ms) / 1000 }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 16_000)));

let vad: SileroVad;
beforeAll(async () => {
  vad = await SileroVad.load();
});
afterAll(() => vad.close());

describe.skipIf(missing.length > 0)('Silero VAD on real speech', () => {
  it('finds one sentence between two seconds of silence, at the right place', async () => {
    const speech = await speak('Our customers are asking for better support on mobile phones.');
    const speechMs = (speech.length / 16_000) * 1000;
    const found = await detectSpeech(vad, bytes(concatPcm(silence(1_000), speech, silence(1_000))), 16_000);
    expect(found.segments.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(found.segments[0]!.startMs - 1_000)).toBeLessThanOrEqual(150);
    expect(Math.abs(found.segments.at(-1)!.endMs - (1_000 + speechMs))).toBeLessThanOrEqual(400);
    expect(Math.abs(found.talkTimeMs - speechMs)).toBeLessThanOrEqual(0.2 * speechMs);
  });

  it('separates two sentences around a long pause and reads 48 kHz input', async () => {
    const a = await speak('Good morning everyone.');
    const b = await speak('Let us start the review.');
    const pcm16 = concatPcm(silence(500), a, silence(1_500), b, silence(500));
    const pcm48 = Int16Array.from({ length: pcm16.length * 3 }, (_, i) => pcm16[Math.floor(i / 3)]!);
    for (const [pcm, rate] of [[pcm16, 16_000], [pcm48, 48_000]] as const) {
      const found = await detectSpeech(vad, bytes(pcm), rate);
      expect(found.segments).toHaveLength(2);
      expect(found.segments[1]!.startMs).toBeGreaterThan(500 + (a.length / 16_000) * 1000 + 1_000);
    }
  });

  it('hears no speech in silence, white noise or a steady tone', async () => {
    for (const pcm of [silence(3_000), noise(3_000, 3_000), tone(3_000, 440)]) {
      const found = await detectSpeech(vad, bytes(pcm), 16_000);
      expect(found.segments).toEqual([]);
      expect(found.talkTimeMs).toBe(0);
    }
  });
});

describe('speech segmenter', () => {
  const run = (probabilities: number[], options = {}) => {
    const s = new SpeechSegmenter(options);
    const out = probabilities.flatMap((p) => s.push(p));
    return [...out, ...s.flush()];
  };
  const frames = (ms: number) => Math.round(ms / VAD_FRAME_MS);
  const speech = (ms: number) => Array<number>(frames(ms)).fill(0.9);
  const quiet = (ms: number) => Array<number>(frames(ms)).fill(0.05);

  it('ends a segment after minSilenceMs of silence, where the silence began', () => {
    const out = run([...quiet(320), ...speech(1_000), ...quiet(600), ...speech(640), ...quiet(600)]);
    expect(out).toEqual([
      { startFrame: frames(320), endFrame: frames(1_320) },
      { startFrame: frames(1_920), endFrame: frames(2_560) },
    ]);
  });

  it('bridges pauses shorter than minSilenceMs and drops blips shorter than minSpeechMs', () => {
    expect(run([...speech(500), ...quiet(200), ...speech(500), ...quiet(600)])).toHaveLength(1);
    expect(run([...quiet(300), ...speech(96), ...quiet(600)])).toEqual([]);
  });

  it('keeps segments under maxSpeechMs: cuts at the last pause, else hard', () => {
    const withPause = run([...speech(5_000), ...quiet(192), ...speech(5_000), ...quiet(600)], { maxSpeechMs: 8_000 });
    expect(withPause[0]).toEqual({ startFrame: 0, endFrame: frames(5_000) });
    const continuous = run([...speech(20_000), ...quiet(600)], { maxSpeechMs: 8_000 });
    expect(continuous.map((s) => s.endFrame - s.startFrame)).toEqual([frames(8_000), frames(8_000), frames(4_000)]);
    for (const s of [...withPause, ...continuous]) expect((s.endFrame - s.startFrame) * VAD_FRAME_MS).toBeLessThanOrEqual(8_000);
  });
});

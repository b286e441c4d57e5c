import { beforeAll, describe, expect, it } from 'vitest';
import { concatPcm, noise, silence, speak, speechToolsMissing, TEST_SENTENCES, wavFile } from '../src/testing/speech.ts';
import { wordErrorRate } from '../src/testing/wer.ts';

// The offline transcriber (scripts/transcriber/server.py) as scripts/services.sh runs it:
// real espeak-ng speech in, text out, OpenAI's wire format both ways.
const base = process.env.TRANSCRIBE_URL ?? `http://127.0.0.1:${process.env.HUDDLE_TRANSCRIBER_PORT ?? 8090}`;
const missing = await speechToolsMissing();
if (missing.length > 0) console.log(`SKIP transcriber tests: ${missing.join(', ')} not installed (apt-get install espeak-ng sox)`);

function form(file: Buffer, fields: Record<string, string> = {}, fileName = 'audio.wav'): FormData {
  const body = new FormData();
  body.append('file', new Blob([new Uint8Array(file)], { type: 'audio/wav' }), fileName);
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  return body;
}

const transcribe = (body: FormData) => fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body });

describe.skipIf(missing.length > 0)('offline transcriber', () => {
  beforeAll(async () => {
    const health = await fetch(`${base}/health`).catch(() => undefined);
    if (!health?.ok) throw new Error(`the transcriber does not answer on ${base} (start it: bash scripts/services.sh up transcriber)`);
  });

  it('serves its model on /v1/models', async () => {
    const res = await fetch(`${base}/v1/models`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list', data: [{ id: 'whisper-tiny.en' }] });
  });

  it('transcribes espeak-ng speech with a word error rate under 15 %', { timeout: 180_000 }, async () => {
    const pairs: { reference: string; hypothesis: string }[] = [];
    for (const sentence of TEST_SENTENCES) {
      const res = await transcribe(form(wavFile(await speak(sentence)), { model: 'whisper-1', response_format: 'json' }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { text: string };
      pairs.push({ reference: sentence, hypothesis: body.text });
    }
    const wer = wordErrorRate(pairs);
    console.log(`transcriber WER on ${pairs.length} espeak-ng sentences: ${(wer * 100).toFixed(1)} %`);
    expect(wer).toBeLessThan(0.15);
  });

  it('answers verbose_json with word timings inside the clip', { timeout: 60_000 }, async () => {
    const pcm = concatPcm(silence(300), await speak('Please send me the updated report.'), silence(300));
    const res = await transcribe(
      form(wavFile(pcm), { model: 'whisper-1', response_format: 'verbose_json', 'timestamp_granularities[]': 'word' }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { text: string; duration: number; words: { word: string; start: number; end: number }[]; segments: unknown[] };
    expect(body.duration).toBeCloseTo(pcm.length / 16_000, 1);
    expect(body.text.toLowerCase()).toContain('report');
    expect(body.segments.length).toBeGreaterThan(0);
    expect(body.words.length).toBeGreaterThanOrEqual(5);
    for (const [i, w] of body.words.entries()) {
      expect(w.end).toBeGreaterThanOrEqual(w.start);
      expect(w.end).toBeLessThanOrEqual(body.duration + 0.05);
      if (i > 0) expect(w.start).toBeGreaterThanOrEqual(body.words[i - 1]!.start);
    }
  });

  it('finds no words in silence and quiet noise', { timeout: 60_000 }, async () => {
    for (const pcm of [silence(2_000), noise(2_000, 200)]) {
      const res = await transcribe(form(wavFile(pcm), { response_format: 'json' }));
      expect(res.status).toBe(200);
      const { text } = (await res.json()) as { text: string };
      expect(text.replace(/[^\p{L}]/gu, '').length).toBeLessThanOrEqual(12); // at most a stray "you" from Whisper
    }
  });

  it('refuses bad input with OpenAI-style 4xx errors', async () => {
    const notAudio = await transcribe(form(Buffer.from('definitely not audio'), {}, 'x.wav'));
    expect(notAudio.status).toBe(400);
    expect(await notAudio.json()).toMatchObject({ error: { code: 'invalid_audio' } });

    const noFile = new FormData();
    noFile.append('model', 'whisper-1');
    const missingFile = await transcribe(noFile);
    expect(missingFile.status).toBe(400);
    expect(await missingFile.json()).toMatchObject({ error: { code: 'missing_file' } });

    const badFormat = await transcribe(form(wavFile(silence(100)), { response_format: 'srt' }));
    expect(badFormat.status).toBe(400);

    const notMultipart = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(notMultipart.status).toBe(400);

    const wrongMethod = await fetch(`${base}/v1/audio/transcriptions`);
    expect(wrongMethod.status).toBe(405);
    const unknown = await fetch(`${base}/v2/whatever`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).not.toMatch(/Traceback/);
  });
});

import { RetryableError, UnrecoverableError } from '../errors.ts';
import type { AiTaskOf, Processor } from './types.ts';

// `transcribe` through an OpenAI-compatible provider:
//   POST {url}/v1/audio/transcriptions, multipart/form-data:
//     file, model, response_format=verbose_json, timestamp_granularities[]=word (not for
//     caption utterances), language?
//   200 → { text, language, duration (s), words: [{ word, start (s), end (s) }], … }
// Errors: 429, 5xx, timeouts and network failures are retried (RetryableError); any other
// 4xx means the provider refuses this input or our key, which a retry won't fix
// (UnrecoverableError → dead letters at once).

const FILE_NAMES: Record<AiTaskOf<'transcribe'>['payload']['mimeType'], string> = {
  'audio/wav': 'audio.wav',
  'audio/webm': 'audio.webm',
  'audio/ogg': 'audio.ogg',
  'audio/mpeg': 'audio.mp3',
  'audio/pcm': 'audio.wav',
};

/** True when the bytes start like the declared container (cheap magic-number check). */
function looksLike(mimeType: AiTaskOf<'transcribe'>['payload']['mimeType'], bytes: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  switch (mimeType) {
    case 'audio/wav':
      return ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE';
    case 'audio/webm':
      return bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3;
    case 'audio/ogg':
      return ascii(0, 4) === 'OggS';
    case 'audio/mpeg':
      return ascii(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0);
    case 'audio/pcm':
      return bytes.length % 2 === 0;
    default: {
      const never: never = mimeType;
      return never;
    }
  }
}

/** A RIFF/WAVE container around 16-bit mono PCM (providers do not take raw PCM). */
export function wavFromPcm(pcm: Uint8Array, sampleRate: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(44 + pcm.length);
  const v = new DataView(out.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  text(0, 'RIFF');
  v.setUint32(4, 36 + pcm.length, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, pcm.length, true);
  out.set(pcm, 44);
  return out;
}

interface VerboseJson {
  text?: unknown;
  language?: unknown;
  duration?: unknown;
  words?: { word?: unknown; start?: unknown; end?: unknown }[];
}

const toMs = (seconds: unknown) => Math.max(0, Math.round(Number(seconds) * 1000));

/** `transcribe`: audio → text and word timings from the configured provider. */
export const transcribeProcessor: Processor<'transcribe'> = async (task, ctx) => {
  const provider = ctx.transcribe;
  if (!provider.url) throw new UnrecoverableError('provider_not_configured', 'no transcription provider is configured (TRANSCRIBE_URL)');
  const { payload } = task;
  const bytes = Buffer.from(payload.audio, 'base64');
  if (!looksLike(payload.mimeType, bytes)) {
    throw new UnrecoverableError('invalid_input', `audio is not decodable as ${payload.mimeType}`);
  }
  const file = payload.mimeType === 'audio/pcm' ? wavFromPcm(bytes, payload.sampleRate ?? 16_000) : new Uint8Array(bytes);
  const form = new FormData();
  const fileType = payload.mimeType === 'audio/pcm' ? 'audio/wav' : payload.mimeType;
  form.append('file', new Blob([file], { type: fileType }), FILE_NAMES[payload.mimeType]);
  form.append('model', provider.model);
  form.append('response_format', 'verbose_json');
  // Live captions need no word timings, and aligning words costs the provider time.
  if (!payload.utterance) form.append('timestamp_granularities[]', 'word');
  if (payload.language) form.append('language', payload.language);

  const url = `${provider.url.replace(/\/+$/, '')}/v1/audio/transcriptions`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body: form,
      headers: provider.apiKey ? { authorization: `Bearer ${provider.apiKey}` } : {},
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(provider.requestTimeoutMs)]),
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new RetryableError(
      timedOut ? 'timeout' : 'provider_error',
      timedOut ? `provider did not answer within ${provider.requestTimeoutMs} ms` : `provider unreachable: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    const detail = (await response.text().catch(() => '')).slice(0, 300);
    if (response.status === 429 || response.status >= 500 || response.status === 408) {
      throw new RetryableError('provider_error', `provider answered ${response.status}: ${detail}`);
    }
    throw new UnrecoverableError('provider_rejected', `provider refused the task with ${response.status}: ${detail}`);
  }
  let body: VerboseJson;
  try {
    body = (await response.json()) as VerboseJson;
  } catch {
    throw new RetryableError('provider_error', 'provider answered 200 with a body that is not JSON');
  }
  if (typeof body.text !== 'string') throw new RetryableError('provider_error', 'provider answer has no text');
  return {
    text: body.text.trim(),
    ...(typeof body.language === 'string' ? { language: body.language } : {}),
    ...(body.duration !== undefined ? { durationMs: toMs(body.duration) } : {}),
    words: (Array.isArray(body.words) ? body.words : []).map((w) => ({
      word: String(w.word ?? ''),
      startMs: toMs(w.start),
      endMs: toMs(w.end),
    })),
    model: provider.model,
    ...(payload.utterance ? { utterance: payload.utterance } : {}),
  };
};

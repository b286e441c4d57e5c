import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { AI_TASK_LIMITS } from '@huddle/protocol';
import type { AiWorkerPool } from '../src/ai/pool.ts';
import { concatPcm, silence, speak, speechToolsMissing } from '../../scripts/src/testing/speech.ts';
import { AI_RESULTS_COLLECTION } from '../src/ai/results-store.ts';
import { CHAT_MESSAGES_COLLECTION } from '../src/ai/processors/summary.ts';
import {
  addTask,
  fieldsToObject,
  makeTask,
  pcm,
  startPool,
  testKeys,
  waitFor,
  openAiResources,
  closePools,
  closeAiResources,
  type AiTestResources,
} from './ai-fixtures.ts';

const speechMissing = (await speechToolsMissing()).length > 0;
if (speechMissing) console.log('SKIP speech_activity pool test: espeak-ng or sox not installed');
let redis: Redis;
let mongo: AiTestResources['mongo'];
const pools: AiWorkerPool[] = [];
const usedKeys: ReturnType<typeof testKeys>[] = [];

beforeAll(async () => {
  ({ redis, mongo } = await openAiResources());
});
afterEach(() => closePools(pools));
afterAll(() => closeAiResources({ redis, mongo }, usedKeys));

async function pool(options: Parameters<typeof startPool>[2] = {}) {
  const k = testKeys();
  usedKeys.push(k);
  const p = await startPool(k, mongo, options);
  pools.push(p);
  return { p, k };
}
const results = () => mongo.db.collection(AI_RESULTS_COLLECTION);
const resultOf = (taskId: string, timeoutMs = 8_000) =>
  waitFor(() => results().findOne({ task_id: taskId }).then((d) => d ?? undefined), timeoutMs, `result of ${taskId}`);
async function deadOf(k: ReturnType<typeof testKeys>, timeoutMs = 8_000) {
  return waitFor(async () => {
    const entries = await redis.xrange(k.dead, '-', '+');
    return entries.length ? entries.map(([, f]) => fieldsToObject(f)) : undefined;
  }, timeoutMs, 'dead letter');
}

describe('speech_activity: Silero VAD', () => {
  it.skipIf(speechMissing)('runs through the pool (worker thread) and stores segments and talk time for the speaker', { timeout: 30_000 }, async () => {
    const { k } = await pool();
    const speaker = randomUUID();
    const speech = await speak('Please send me the updated report by Friday afternoon.');
    const audio = concatPcm(silence(1_000), speech, silence(1_000));
    const task = makeTask({
      type: 'speech_activity',
      meetingId: randomUUID(),
      payload: { audio: Buffer.from(audio.buffer).toString('base64'), sampleRate: 16_000, userId: speaker, startedAt: '2026-11-27T10:00:00.000Z' },
    });
    await addTask(redis, k, task);
    const doc = await resultOf(task.taskId, 20_000);
    const r = doc.results as { userId: string; startedAt: string; segments: { startMs: number; endMs: number }[]; talkTimeMs: number; detector: string };
    expect(r.userId).toBe(speaker);
    expect(r.startedAt).toBe('2026-11-27T10:00:00.000Z');
    expect(r.segments.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(r.segments[0]!.startMs - 1000)).toBeLessThanOrEqual(200);
    const speechMs = (speech.length / 16_000) * 1000;
    expect(Math.abs(r.talkTimeMs - speechMs)).toBeLessThanOrEqual(0.2 * speechMs);
    expect(r.detector).toBe('silero-vad-v5');
  });

  it('dead-letters oversize audio at once (invalid_task)', async () => {
    const { k } = await pool();
    const task = makeTask({ type: 'speech_activity', meetingId: randomUUID(), payload: { audio: 'AAAA', sampleRate: 16_000 } });
    const huge = Buffer.alloc(AI_TASK_LIMITS.audioBytesMax + 2).toString('base64');
    await redis.xadd(k.stream, '*', 'task', JSON.stringify({ ...task, payload: { ...task.payload, audio: huge } }));
    const [dead] = await deadOf(k);
    expect(dead).toMatchObject({ code: 'invalid_task', attempts: '1' });
    expect(dead!.error).toContain(`at most ${AI_TASK_LIMITS.audioBytesMax} bytes`);
  });
});

// ---------------------------------------------------------------------------------------
// A fake OpenAI-compatible transcription server: parses the multipart upload and answers
// like OpenAI's verbose_json, or with the scripted failure.

type Behaviour = 'ok' | 429 | 500 | 400 | 'hang';
interface Received {
  auth: string | undefined;
  model: string;
  responseFormat: string;
  granularities: string[];
  language: string | null;
  fileName: string;
  fileType: string;
  file: Buffer;
}
let server: Server;
let baseUrl: string;
const script: Behaviour[] = [];
const received: Received[] = [];

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') {
      res.writeHead(404).end();
      return;
    }
    const body = await readBody(req);
    const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: new Uint8Array(body) }).formData();
    const file = form.get('file') as File;
    received.push({
      auth: req.headers.authorization,
      model: String(form.get('model')),
      responseFormat: String(form.get('response_format')),
      granularities: form.getAll('timestamp_granularities[]').map(String),
      language: form.get('language') as string | null,
      fileName: file.name,
      fileType: file.type,
      file: Buffer.from(await file.arrayBuffer()),
    });
    const behaviour = script.shift() ?? 'ok';
    const error = (status: number, message: string, type: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type, param: null, code: null } }));
    if (behaviour === 'hang') return; // never answers
    if (behaviour === 429) return error(429, 'Rate limit reached', 'requests');
    if (behaviour === 500) return error(500, 'The server had an error', 'server_error');
    if (behaviour === 400) return error(400, 'Audio file might be corrupted or unsupported', 'invalid_request_error');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        task: 'transcribe',
        language: 'english',
        duration: 1.5,
        text: ' Hello huddle world.',
        words: [
          { word: 'Hello', start: 0.1, end: 0.42 },
          { word: 'huddle', start: 0.5, end: 0.9 },
          { word: 'world', start: 1.0, end: 1.38 },
        ],
        segments: [],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});
afterEach(() => {
  script.length = 0;
  received.length = 0;
});

const transcribeTask = (payload: Record<string, unknown> = {}) =>
  makeTask({
    type: 'transcribe',
    meetingId: randomUUID(),
    payload: { audio: pcm(16_000, [[0.25, 440]]).toString('base64'), mimeType: 'audio/pcm', sampleRate: 16_000, language: 'en', ...payload },
  } as never);
const provider = () => ({ url: baseUrl, apiKey: 'sk-test', model: 'whisper-test', requestTimeoutMs: 300 });

describe('transcribe: OpenAI-compatible provider', () => {
  it('uploads a WAV built from PCM with the OpenAI form fields and stores text and word timings in ms', async () => {
    const { k } = await pool({ transcribe: provider() });
    const task = transcribeTask();
    await addTask(redis, k, task);
    const doc = await resultOf(task.taskId);
    expect(doc.results).toEqual({
      text: 'Hello huddle world.',
      language: 'english',
      durationMs: 1500,
      words: [
        { word: 'Hello', startMs: 100, endMs: 420 },
        { word: 'huddle', startMs: 500, endMs: 900 },
        { word: 'world', startMs: 1000, endMs: 1380 },
      ],
      model: 'whisper-test',
    });
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r).toMatchObject({ auth: 'Bearer sk-test', model: 'whisper-test', responseFormat: 'verbose_json', granularities: ['word'], language: 'en', fileName: 'audio.wav', fileType: 'audio/wav' });
    expect(r.file.subarray(0, 4).toString()).toBe('RIFF');
    expect(r.file.subarray(8, 12).toString()).toBe('WAVE');
    expect(r.file.readUInt32LE(24)).toBe(16_000);
    expect(r.file.length).toBe(44 + 0.25 * 16_000 * 2);
  });

  it('retries 429 and 500 with backoff, then succeeds', async () => {
    const { k } = await pool({ transcribe: provider(), backoffBaseMs: 20 });
    script.push(429, 500);
    const task = transcribeTask();
    await addTask(redis, k, task);
    const doc = await resultOf(task.taskId);
    expect((doc.results as { text: string }).text).toBe('Hello huddle world.');
    expect(received).toHaveLength(3);
    expect(await redis.xlen(k.dead)).toBe(0);
  });

  it('retries a provider that does not answer in time (request timeout), then succeeds', async () => {
    const { k } = await pool({ transcribe: provider(), backoffBaseMs: 20 });
    script.push('hang');
    const task = transcribeTask();
    await addTask(redis, k, task);
    const started = Date.now();
    await resultOf(task.taskId);
    expect(received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('dead-letters a task after retries run out on 5xx, with every attempt in its history', async () => {
    const { k } = await pool({ transcribe: provider(), backoffBaseMs: 20, maxAttempts: 3 });
    script.push(500, 500, 500);
    await addTask(redis, k, transcribeTask());
    const [dead] = await deadOf(k);
    expect(dead).toMatchObject({ code: 'provider_error', attempts: '3' });
    expect(dead!.error).toContain('500');
    expect(received).toHaveLength(3);
  });

  it('dead-letters a 4xx from the provider after one attempt (no retries)', async () => {
    const { k } = await pool({ transcribe: provider(), backoffBaseMs: 20 });
    script.push(400);
    const task = transcribeTask();
    await addTask(redis, k, task);
    const [dead] = await deadOf(k);
    expect(dead).toMatchObject({ code: 'provider_rejected', attempts: '1', taskId: task.taskId });
    expect(dead!.error).toContain('400');
    await new Promise((r) => setTimeout(r, 150));
    expect(received).toHaveLength(1);
  });

  it('dead-letters undecodable audio without calling the provider', async () => {
    const { k } = await pool({ transcribe: provider() });
    await addTask(redis, k, transcribeTask({ mimeType: 'audio/wav', audio: Buffer.from('definitely not a wave file').toString('base64') }));
    const [dead] = await deadOf(k);
    expect(dead).toMatchObject({ code: 'invalid_input', attempts: '1' });
    expect(dead!.error).toContain('audio/wav');
    expect(received).toHaveLength(0);
  });

  it('dead-letters transcribe tasks when no provider is configured', async () => {
    const { k } = await pool();
    await addTask(redis, k, transcribeTask());
    const [dead] = await deadOf(k);
    expect(dead).toMatchObject({ code: 'provider_not_configured', attempts: '1' });
  });
});

describe('sentiment and summary', () => {
  it('labels positive, negative and neutral text', async () => {
    const { k } = await pool();
    const texts = { positive: 'I love this, great work everyone', negative: 'this is terrible and I hate the delay', neutral: 'the meeting is at noon' };
    const tasks = Object.entries(texts).map(([label, text]) => ({ label, task: makeTask({ type: 'sentiment', meetingId: randomUUID(), payload: { text } }) }));
    for (const { task } of tasks) await addTask(redis, k, task);
    for (const { label, task } of tasks) {
      const doc = await resultOf(task.taskId);
      expect((doc.results as { label: string }).label).toBe(label);
    }
  });

  it('summarises a meeting’s chat and transcripts: keywords and top sentences in order', async () => {
    const { k } = await pool();
    const meetingId = randomUUID();
    const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s));
    const chat = [
      'The budget review is due on Friday.',
      'We should move the budget review to Monday.',
      'Lunch options are pizza or salad.',
      'The budget needs approval from finance before the review.',
      'Finance approved the budget draft yesterday.',
    ];
    await mongo.db.collection(CHAT_MESSAGES_COLLECTION).insertMany(
      chat.map((text, i) => ({ meeting_id: meetingId, user_id: randomUUID(), text, sent_at: at(i) })),
    );
    await mongo.db.collection(AI_RESULTS_COLLECTION).insertOne({
      _id: randomUUID() as never,
      meeting_id: meetingId,
      user_id: randomUUID(),
      analysis_type: 'transcribe',
      task_id: randomUUID(),
      timestamp: at(10),
      results: { text: 'So the budget review moves to Monday. Finance will send the final budget.', words: [], model: 'm' },
    });
    const task = makeTask({ type: 'summary', meetingId, payload: { maxSentences: 2 } });
    await addTask(redis, k, task);
    const doc = await resultOf(task.taskId);
    const r = doc.results as { keywords: { term: string; score: number }[]; sentences: string[]; sources: unknown; method: string };
    expect(r.sources).toEqual({ chatMessages: 5, transcripts: 1 });
    expect(r.method).toBe('textrank-v1');
    expect(r.keywords[0]).toEqual({ term: 'budget', score: 1 });
    expect(r.keywords.map((kw) => kw.term)).toEqual(expect.arrayContaining(['review', 'finance']));
    expect(r.sentences).toHaveLength(2);
    expect(r.sentences.every((s) => /budget/i.test(s))).toBe(true);
    expect(r.sentences.some((s) => /pizza/.test(s))).toBe(false);
    const order = r.sentences.map((s) => [...chat, 'So the budget review moves to Monday.', 'Finance will send the final budget.'].indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const empty = makeTask({ type: 'summary', meetingId: randomUUID(), payload: {} });
    await addTask(redis, k, empty);
    expect((await resultOf(empty.taskId)).results).toEqual({ keywords: [], sentences: [], sources: { chatMessages: 0, transcripts: 0 }, method: 'textrank-v1' });
  });
});

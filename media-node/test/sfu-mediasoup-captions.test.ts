// Live captions over the mediasoup engine, end to end: a speaker's Opus RTP (espeak-ng
// speech encoded by ffmpeg's libopus) enters a plain-transport producer, the captions
// pipeline taps it (DirectTransport → Opus decode → VAD → transcribe task → the local
// transcriber) and everyone in the room gets `caption.new` labelled with the speaker.
// Needs a worker (MEDIASOUP_WORKER_BIN), espeak-ng, ffmpeg and the transcriber.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechToolsMissing, TEST_SENTENCES } from '../../scripts/src/testing/speech.ts';
import { wordErrorRate } from '../../scripts/src/testing/wer.ts';
import { loadAiWorkerConfig } from '../src/ai/config.ts';
import { loadCaptionsConfig } from '../src/captions/config.ts';
import type { MediasoupEngine } from '../src/sfu/mediasoup/engine.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { captionsOf, TRANSCRIBE_URL, transcriberUp } from './captions-fixtures.ts';
import { oggOpusPackets, producePlain, rtpSocketPool, startMediasoupNode, workerSuiteRuns } from './sfu-mediasoup-helpers.ts';
import { createSuite, eventually, mintJoinToken, privateAiQueue, REDIS_URL, TestClient } from './signaling-helpers.ts';

const tools = await speechToolsMissing(['espeak-ng', 'ffmpeg']);
let missing = tools.length > 0 ? `${tools.join(', ')} not installed` : undefined;
if (!missing && !(await transcriberUp())) missing = 'the transcriber is not running (bash scripts/services.sh up transcriber)';
if (missing) console.log(`[skip] sfu-mediasoup-captions: ${missing}`);
const runs = !missing && workerSuiteRuns('sfu-mediasoup-captions');

describe.runIf(runs)('live captions over mediasoup', () => {
  const suite = createSuite();
  const sockets = rtpSocketPool();
  const redis = new Redis(REDIS_URL);
  const keys = privateAiQueue();
  const dir = mkdtempSync(join(tmpdir(), 'huddle-captions-ms-'));
  let node: MediaNodeServer;
  let engine: MediasoupEngine;

  beforeAll(async () => {
    const ai = loadAiWorkerConfig({
      ...suite.env,
      ...keys.env,
      TRANSCRIBE_URL,
      TRANSCRIBE_MODEL: 'whisper-tiny.en',
    });
    ({ node, engine } = await startMediasoupNode(suite, {}, { ai, captions: loadCaptionsConfig({ CAPTIONS_ENABLED: 'true' }) }));
  }, 60_000);
  afterAll(async () => {
    sockets.closeAll();
    rmSync(dir, { recursive: true, force: true });
    await suite.teardown();
    await redis.del(keys.stream, keys.dead, keys.delayed);
    redis.disconnect();
  });

  it('captions a speaker for everyone in the room', { timeout: 120_000 }, async () => {
    const sentence = TEST_SENTENCES[0];
    const wav = join(dir, 'speech.wav');
    const ogg = join(dir, 'speech.ogg');
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '160', '-w', wav, sentence]);
    // A second and a half of silence after the sentence ends the utterance.
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-af', 'apad=pad_dur=1.5', '-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-application', 'voip', ogg]);
    const packets = oggOpusPackets(readFileSync(ogg));

    const m = await suite.seedMeeting(['host', 'attendee']);
    const host = (await TestClient.join(node, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host', name: 'Hana Host' }))).client;
    const speaker = (
      await TestClient.join(node, await mintJoinToken({ userId: m.userIds[1]!, meetingId: m.meetingId, role: 'attendee', name: 'Alice Speaker' }))
    ).client;
    // Captions are on: the tap's DirectTransport opens with the room.
    await eventually(() => engine.counts().transports >= 1, 15_000);
    const mic = await producePlain(speaker, { source: 'mic', ssrc: 9301 });
    await eventually(() => engine.counts().consumers >= 1); // the tap consumes the microphone

    const sender = await sockets.open();
    for (const [i, payload] of packets.entries()) {
      sender.send(mic, { ssrc: 9301, payloadType: 100, timestamp: i * 960, payload });
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const client of [host, speaker]) {
      await eventually(() => captionsOf(client).length >= 1, 60_000, 100);
    }
    const seen = captionsOf(host);
    expect(seen.every((c) => c.userId === m.userIds[1] && c.name === 'Alice Speaker')).toBe(true);
    const wer = wordErrorRate([{ reference: sentence, hypothesis: seen.map((c) => c.text).join(' ') }]);
    console.log(`captions over mediasoup: WER ${(wer * 100).toFixed(1)} % ("${seen.map((c) => c.text).join(' ')}")`);
    expect(wer).toBeLessThan(0.3);
    host.close();
    speaker.close();
  });
});

// The captions audio tap on the mediasoup engine: a real Opus stream (espeak-ng speech
// encoded by ffmpeg's libopus) sent as RTP into a plain-transport producer comes out of
// the tap as 16 kHz mono PCM of the right length and loudness; stopping the tap stops
// the audio. Needs a worker (MEDIASOUP_WORKER_BIN), espeak-ng and ffmpeg.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechToolsMissing } from '../../scripts/src/testing/speech.ts';
import type { AudioTapSink } from '../src/sfu/engine.ts';
import type { MediasoupEngine } from '../src/sfu/mediasoup/engine.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { oggOpusPackets, producePlain, RtpSocket, startMediasoupNode, workerSuiteRuns } from './sfu-mediasoup-helpers.ts';
import { createSuite, eventually, mintJoinToken, TestClient } from './signaling-helpers.ts';

const tools = await speechToolsMissing(['espeak-ng', 'ffmpeg']);
const missing = tools.length > 0 ? `${tools.join(', ')} not installed` : undefined;
if (missing) console.log(`[skip] sfu-mediasoup-audio-tap: ${missing}`);
const runs = !missing && workerSuiteRuns('sfu-mediasoup-audio-tap');

/** Root mean square of 16-bit samples. */
function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

describe.runIf(runs)('mediasoup audio tap', () => {
  const suite = createSuite();
  const dir = mkdtempSync(join(tmpdir(), 'huddle-tap-'));
  let node: MediaNodeServer;
  let engine: MediasoupEngine;
  let packets: Uint8Array[];
  let speech: { seconds: number; rms: number };

  beforeAll(async () => {
    ({ node, engine } = await startMediasoupNode(suite));
    const wav = join(dir, 'speech.wav');
    const ogg = join(dir, 'speech.ogg');
    execFileSync('espeak-ng', ['-w', wav, 'The quarterly numbers look good, let us ship it on Monday.']);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-application', 'voip', ogg]);
    packets = oggOpusPackets(readFileSync(ogg));
    // The reference: the same speech as 16 kHz PCM straight from the WAV file.
    const reference = execFileSync('ffmpeg', ['-loglevel', 'error', '-i', wav, '-ac', '1', '-ar', '16000', '-f', 's16le', '-']);
    const samples = new Int16Array(reference.buffer, reference.byteOffset, reference.byteLength / 2);
    speech = { seconds: samples.length / 16_000, rms: rms(samples) };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await suite.teardown();
  });

  it('decodes a speaker to 16 kHz PCM of the right length and loudness, and stops when told', async () => {
    const m = await suite.seedMeeting(['host']);
    const { client } = await TestClient.join(node, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
    const sfu = node.media.room(m.meetingId)?.sfu;
    expect(sfu).toBeDefined();

    const frames: { userId: string; pcm: Int16Array; atMs: number }[] = [];
    const gone: string[] = [];
    const sink: AudioTapSink = {
      onAudio: (userId, pcm, atMs) => frames.push({ userId, pcm, atMs }),
      onSpeakerGone: (userId) => gone.push(userId),
    };
    await sfu!.setAudioTap(sink);
    const mic = await producePlain(client, { source: 'mic', ssrc: 9001 });
    await eventually(() => engine.counts().consumers === 1); // the tap's consumer of the microphone

    const sender = await RtpSocket.open();
    try {
      const startedAt = Date.now();
      for (const [i, payload] of packets.entries()) {
        sender.send(mic, { ssrc: 9001, payloadType: 100, timestamp: i * 960, payload });
        await new Promise((r) => setTimeout(r, 20));
      }
      await eventually(() => frames.length >= packets.length * 0.95, 5_000);
      const pcm = Int16Array.from(frames.flatMap((f) => [...f.pcm]));
      expect(frames.every((f) => f.userId === m.userIds[0])).toBe(true);
      // One 20 ms packet → 320 samples at 16 kHz; the clip's length within 10 %.
      expect(pcm.length / 16_000).toBeGreaterThan(speech.seconds * 0.9);
      expect(pcm.length / 16_000).toBeLessThan(speech.seconds * 1.1 + 0.1);
      // As loud as the original (a lossy codec, so within a factor of two), far above silence.
      expect(rms(pcm)).toBeGreaterThan(speech.rms / 2);
      expect(rms(pcm)).toBeLessThan(speech.rms * 2);
      expect(frames[0]!.atMs).toBeGreaterThanOrEqual(startedAt);

      // Stopped: the tap's consumer closes, the speaker is flushed, no more audio arrives.
      await sfu!.setAudioTap(undefined);
      expect(gone).toEqual([m.userIds[0]]);
      await eventually(() => engine.counts().consumers === 0);
      const count = frames.length;
      for (const [i, payload] of packets.slice(0, 25).entries()) {
        sender.send(mic, { ssrc: 9001, payloadType: 100, timestamp: (packets.length + i) * 960, payload });
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(frames.length).toBe(count);

      // Started again: the existing microphone is tapped again.
      await sfu!.setAudioTap(sink);
      await eventually(() => engine.counts().consumers === 1);
      for (const [i, payload] of packets.slice(0, 25).entries()) {
        sender.send(mic, { ssrc: 9001, payloadType: 100, timestamp: (packets.length + 25 + i) * 960, payload });
        await new Promise((r) => setTimeout(r, 5));
      }
      await eventually(() => frames.length > count);
    } finally {
      sender.close();
      client.close();
    }
  });
});

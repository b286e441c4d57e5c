// Captions end to end over a REAL SFU: livekit-server in a network namespace of the test's
// own, the media node's LiveKit engine tapping microphones through its hidden observer, an
// rtc-node participant publishing espeak-ng speech as a WAV microphone, the node's AI pool
// and the local offline transcriber. Captions reach the room labelled with the speaker; the
// host switching captions off through the edge's PATCH stops the tap.
import { randomBytes } from 'node:crypto';
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, type SignedInUser } from '../../edge/test/users-helper.ts';
import { concatPcm, silence, speak, speechToolsMissing, TEST_SENTENCES, wavFile } from '../../scripts/src/testing/speech.ts';
import { wordErrorRate } from '../../scripts/src/testing/wer.ts';
import { captionsOf, TRANSCRIBE_URL, transcriberUp } from './captions-fixtures.ts';
import { livekitSkipReason, startLivekitStack, type LivekitStack } from './livekit-fixture.ts';
import { privateAiQueue, type TestClient } from './signaling-helpers.ts';

const missing = await speechToolsMissing();
const skipReason =
  (await livekitSkipReason()) ??
  (missing.length > 0 ? `${missing.join(', ')} not installed` : (await transcriberUp()) ? undefined : 'the transcriber is not running');
if (skipReason) console.log(`SKIP captions over LiveKit: ${skipReason}`);

const queue = privateAiQueue();
const wavPath = join(tmpdir(), `huddle-captions-${randomBytes(4).toString('hex')}.wav`);
let stack: LivekitStack;
let host: SignedInUser;
let speaker: SignedInUser;
let meetingId: string;
let listener: TestClient;
let speakerName: string;

beforeAll(async () => {
  if (skipReason) return;
  stack = await startLivekitStack({
    AI_WORKERS_ENABLED: 'true',
    ...queue.env,
    TRANSCRIBE_URL,
    TRANSCRIBE_MODEL: 'whisper-tiny.en',
  });
  [host, speaker] = (await stack.users(2)) as [SignedInUser, SignedInUser];
  meetingId = await stack.meeting(host, [speaker]);
}, 120_000);
afterAll(async () => {
  await stack?.teardown();
  await rm(wavPath, { force: true });
});

describe.skipIf(skipReason !== undefined)('captions over LiveKit', () => {
  it('captions a LiveKit microphone, labelled with the speaker, word error rate under 30 %', { timeout: 180_000 }, async () => {
    const hostGrant = await stack.joinOk(meetingId, host);
    const speakerGrant = await stack.joinOk(meetingId, speaker);
    listener = (await stack.signal(hostGrant.token)).client;
    const joined = await stack.signal(speakerGrant.token);
    speakerName = joined.joined.data.self.name;
    const script = TEST_SENTENCES.slice(0, 2);
    const speech = await Promise.all(script.map((t) => speak(t)));
    await writeFile(wavPath, wavFile(concatPcm(silence(500), speech[0]!, silence(1_200), speech[1]!, silence(1_500))));
    const mic = await stack.participant();
    await mic.connect(speakerGrant.livekitUrl!, speakerGrant.token);
    await mic.command({ cmd: 'publishWav', path: wavPath });

    await listener.waitFor(() => captionsOf(listener).length >= 2, 90_000);
    const seen = captionsOf(listener);
    expect(seen.every((c) => c.userId === speaker.user.id && c.name === speakerName)).toBe(true);
    const wer = wordErrorRate([{ reference: script.join(' '), hypothesis: seen.map((c) => c.text).join(' ') }]);
    console.log(`captions over LiveKit: WER ${(wer * 100).toFixed(1)} % (${seen.map((c) => c.text).join(' | ')})`);
    expect(wer).toBeLessThan(0.3);
    await mic.close();
  });

  it('stops the tap when the host switches captions off through the edge', { timeout: 120_000 }, async () => {
    const patched = await stack.edge.fetch(`/api/v1/meetings/${meetingId}`, {
      method: 'PATCH',
      headers: { ...authHeaders(host.accessToken), 'content-type': 'application/json' },
      body: JSON.stringify({ settings: { captions: false } }),
    });
    expect(patched.status).toBe(200);
    await listener.waitFor((f) => f.method === 'captions.state' && f.data.enabled === false, 15_000);
    const utterances = async () =>
      (await stack.node.metrics.registry.getSingleMetric('huddle_captions_utterances_total')?.get())?.values[0]?.value ?? 0;
    const before = await utterances();
    const captionsBefore = captionsOf(listener).length;
    const speakerGrant = await stack.joinOk(meetingId, speaker);
    const mic = await stack.participant();
    await mic.connect(speakerGrant.livekitUrl!, speakerGrant.token);
    await mic.command({ cmd: 'publishWav', path: wavPath });
    await mic.waitFor((e) => e.event === 'wavEnded', 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await utterances()).toBe(before);
    expect(captionsOf(listener)).toHaveLength(captionsBefore);
    await mic.close();
  });
});

// Live captions end to end inside one media node, fed through a real AudioTapSink (the tap
// engine) with espeak-ng speech: utterances → transcribe tasks on the AI queue → the local
// offline transcriber → `caption.new` to the room and the transcript in MongoDB; talk time;
// captions switched off; silence and noise; a speaker who leaves mid-sentence; summaries.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetings } from '@huddle/db';
import { concatPcm, noise, silence, speak, speechToolsMissing, TEST_SENTENCES } from '../../scripts/src/testing/speech.ts';
import { wordErrorRate } from '../../scripts/src/testing/wer.ts';
import { captionsOf, startCaptionsSuite, transcriberUp, voicedMs, type CaptionsSuite } from './captions-fixtures.ts';
import { eventually, mintJoinToken } from './signaling-helpers.ts';

const missing = await speechToolsMissing();
const up = await transcriberUp();
const skip = missing.length > 0 || !up;
if (missing.length > 0) console.log(`SKIP captions suite: ${missing.join(', ')} not installed (apt-get install espeak-ng sox)`);
else if (!up) console.log('SKIP captions suite: the transcriber is not running (bash scripts/services.sh up transcriber)');

let s: CaptionsSuite;
beforeAll(async () => {
  if (!skip) s = await startCaptionsSuite();
}, 60_000);
afterAll(async () => {
  await s?.teardown();
});

const transcript = async (meetingId: string, token: string) => {
  const res = await fetch(`http://127.0.0.1:${s.node.port}/api/v1/meetings/${meetingId}/transcript`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { id: string; userId: string; name: string; text: string; startMs: number }[] }).items;
};

describe.skipIf(skip)('live captions through the audio tap', () => {
  it('captions a speaker, labelled with their name, for everyone in the room, and stores the transcript in order', { timeout: 120_000 }, async () => {
    const { meetingId, userIds, clients, tap } = await s.meeting(['Hana Host', 'Alice Speaker']);
    await eventually(() => tap.sink);
    const script = TEST_SENTENCES.slice(0, 3);
    const speech = await Promise.all(script.map((t) => speak(t)));
    await tap.play(userIds[1]!, concatPcm(silence(500), speech[0]!, silence(1_000), speech[1]!, silence(1_000), speech[2]!, silence(1_000)));

    for (const client of clients) {
      await eventually(() => captionsOf(client).length >= 3, 60_000, 100).catch((error: unknown) => {
        throw new Error(`${String(error)}; captions: ${JSON.stringify(captionsOf(client).map((c) => c.text))}`);
      });
    }
    const seen = captionsOf(clients[0]!);
    expect(seen.every((c) => c.userId === userIds[1] && c.name === 'Alice Speaker')).toBe(true);
    const wer = wordErrorRate([{ reference: script.join(' '), hypothesis: seen.map((c) => c.text).join(' ') }]);
    console.log(`captions WER through the pipeline: ${(wer * 100).toFixed(1)} %`);
    expect(wer).toBeLessThan(0.3);
    expect(new Set(seen.map((c) => c.id)).size).toBe(seen.length);

    const token = await mintJoinToken({ userId: userIds[0]!, meetingId, role: 'host' });
    const stored = await transcript(meetingId, token);
    expect(stored.map((c) => c.id).sort()).toEqual(seen.map((c) => c.id).sort());
    const starts = stored.map((c) => c.startMs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(stored[0]!.startMs).toBeGreaterThanOrEqual(60_000); // the meeting started a minute ago

    const talk = await clients[0]!.waitFor((f) => f.method === 'talktime.updated', 5_000);
    expect(talk.data.totals[0]).toMatchObject({ userId: userIds[1], name: 'Alice Speaker' });
    expect((await fetch(`http://127.0.0.1:${s.node.port}/api/v1/meetings/${meetingId}/transcript`)).status).toBe(401);
    const bad = await fetch(`http://127.0.0.1:${s.node.port}/api/v1/meetings/${meetingId}/transcript?after=x`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.status).toBe(400);
  });

  it('splits talk time between two speakers taking turns within 10 % of the truth', { timeout: 120_000 }, async () => {
    const { userIds, clients, tap } = await s.meeting(['Ben Host', 'Cleo Guest']);
    await eventually(() => tap.sink);
    const [a1, b1, a2, b2] = await Promise.all(TEST_SENTENCES.slice(3, 7).map((t) => speak(t)));
    const truth = { a: voicedMs(a1!) + voicedMs(a2!), b: voicedMs(b1!) + voicedMs(b2!) };
    // Turns: A, B, A, B with pauses; each speaker's microphone carries silence while the other talks.
    let t = Date.now();
    const turn = async (speaker: 'a' | 'b', pcm: Int16Array) => {
      const withPause = concatPcm(pcm, silence(800));
      const quiet = silence((withPause.length / 16_000) * 1000);
      await Promise.all([
        tap.play(userIds[0]!, speaker === 'a' ? withPause : quiet, { startAtMs: t }),
        tap.play(userIds[1]!, speaker === 'b' ? withPause : quiet, { startAtMs: t }),
      ]);
      t += (withPause.length / 16_000) * 1000;
    };
    await turn('a', a1!);
    await turn('b', b1!);
    await turn('a', a2!);
    await turn('b', b2!);
    const totals = await eventually(
      async () => {
        const last = clients[1]!.notifications('talktime.updated').at(-1)?.data.totals as { userId: string; talkTimeMs: number }[] | undefined;
        const a = last?.find((e) => e.userId === userIds[0])?.talkTimeMs ?? 0;
        const b = last?.find((e) => e.userId === userIds[1])?.talkTimeMs ?? 0;
        return a > 0.8 * truth.a && b > 0.8 * truth.b ? { a, b } : undefined;
      },
      20_000,
      100,
    );
    console.log(`talk time: A ${totals.a} ms (truth ${Math.round(truth.a)}), B ${totals.b} ms (truth ${Math.round(truth.b)})`);
    expect(Math.abs(totals.a - truth.a) / truth.a).toBeLessThan(0.1);
    expect(Math.abs(totals.b - truth.b) / truth.b).toBeLessThan(0.1);
    const share = totals.a / (totals.a + totals.b);
    expect(Math.abs(share - truth.a / (truth.a + truth.b))).toBeLessThan(0.05);
  });

  it('switches the tap off when the host turns captions off, and on again', { timeout: 60_000 }, async () => {
    const { meetingId, userIds, clients, tap } = await s.meeting(['Dana Host', 'Eli Guest']);
    await eventually(() => tap.sink);
    const setCaptions = async (on: boolean) => {
      // What PATCH /meetings/{id} does: store the settings, then publish meeting.updated.
      await s.suite.db.db.update(meetings).set({ settings: { captions: on } }).where(eq(meetings.id, meetingId));
      await s.redis.publish(
        `meeting:${meetingId}:events`,
        JSON.stringify({ type: 'meeting.updated', meetingId, at: new Date().toISOString(), data: { fields: ['settings'] } }),
      );
    };
    const utterances = async () => (await s.node.metrics.registry.getSingleMetric('huddle_captions_utterances_total')?.get())?.values[0]?.value ?? 0;

    await setCaptions(false);
    await eventually(() => tap.sink === undefined, 5_000);
    expect(tap.tapChanges.at(-1)).toBe(false);
    await clients[1]!.waitFor((f) => f.method === 'captions.state' && f.data.enabled === false);
    const before = await utterances();
    await tap.play(userIds[1]!, concatPcm(await speak('This must never be transcribed.'), silence(1_000)));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await utterances()).toBe(before);
    expect(captionsOf(clients[0]!)).toEqual([]);

    await setCaptions(true);
    await eventually(() => tap.sink !== undefined, 5_000);
    await clients[1]!.waitFor((f) => f.method === 'captions.state' && f.data.enabled === true);
    expect(tap.tapChanges.slice(-2)).toEqual([false, true]);
  });

  it('turns silence and noise into no captions and no errors', { timeout: 60_000 }, async () => {
    const { userIds, clients, tap } = await s.meeting(['Finn Host', 'Gus Guest']);
    await eventually(() => tap.sink);
    await tap.play(userIds[1]!, concatPcm(silence(2_000), noise(3_000, 2_000), silence(1_000)));
    await new Promise((r) => setTimeout(r, 3_000));
    for (const client of clients) {
      expect(captionsOf(client)).toEqual([]);
      expect(client.notifications('error')).toEqual([]);
    }
  });

  it('still captions and stores what a participant said right before leaving', { timeout: 60_000 }, async () => {
    const { meetingId, userIds, clients, tap } = await s.meeting(['Hal Host', 'Ivy Leaver']);
    await eventually(() => tap.sink);
    const speech = await speak('Our customers are asking for better support on mobile phones.');
    // Leave halfway through the sentence: no pause ever ends the utterance.
    await tap.play(userIds[1]!, concatPcm(silence(300), speech.slice(0, Math.floor(speech.length * 0.6))));
    clients[1]!.close();
    const caption = await clients[0]!.waitFor((f) => f.method === 'caption.new', 30_000);
    expect(caption.data.caption).toMatchObject({ userId: userIds[1], name: 'Ivy Leaver' });
    expect(caption.data.caption.text.toLowerCase()).toContain('customers');
    const token = await mintJoinToken({ userId: userIds[0]!, meetingId, role: 'host' });
    expect((await transcript(meetingId, token)).map((c) => c.id)).toEqual([caption.data.caption.id]);
  });

  it('answers ai.summarize from the transcript and chat, and stores a summary with talk time when the meeting ends', { timeout: 120_000 }, async () => {
    const { meetingId, userIds, clients, tap } = await s.meeting(['Jo Host', 'Kim Guest']);
    await eventually(() => tap.sink);
    const speech = await Promise.all([
      speak('The quarterly budget review shows higher marketing costs.'),
      speak('The marketing budget must shrink before the product launch.'),
    ]);
    await tap.play(userIds[1]!, concatPcm(speech[0]!, silence(800), speech[1]!, silence(800)));
    await eventually(() => captionsOf(clients[0]!).length >= 2, 60_000, 100);
    await clients[0]!.request('chat.send', { text: 'Remember the budget spreadsheet for the launch.', clientMsgId: 'm1' });

    const bad = await clients[0]!.request('ai.summarize', { sinceMinutes: 0 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const answer = await clients[0]!.request('ai.summarize', { sinceMinutes: 5 });
    expect(answer.ok).toBe(true);
    expect(answer.data.sinceMinutes).toBe(5);
    expect(answer.data.sources).toEqual({ chatMessages: 1, transcripts: 2 });
    expect(answer.data.sentences.length).toBeGreaterThan(0);
    expect(answer.data.keywords.map((k: { term: string }) => k.term)).toContain('budget');

    const ended = await clients[0]!.request('host.endForAll');
    expect(ended.ok).toBe(true);
    const row = await eventually(
      async () => {
        const rows = await s.suite.db.db.execute<{ summary: string[] | null; keywords: { term: string }[] | null; talk_time: { userId: string; name: string; talkTimeMs: number }[] | null }>(
          sql`select summary, keywords, talk_time from meeting_stats where meeting_id = ${meetingId} and summarized_at is not null`,
        );
        return rows[0];
      },
      60_000,
      250,
    );
    expect(row.summary!.length).toBeGreaterThan(0);
    expect(row.keywords!.map((k) => k.term)).toContain('budget');
    expect(row.talk_time).toHaveLength(1);
    expect(row.talk_time![0]).toMatchObject({ userId: userIds[1], name: 'Kim Guest' });
    expect(row.talk_time![0]!.talkTimeMs).toBeGreaterThan(3_000);
  });
});

// The livekit engine against a real livekit-server (inside a network namespace of this
// test): tokens from the edge's join, two rtc-node participants, webhooks into Postgres
// and the room, host controls on the server, endForAll, LiveKit down.
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingRoomName, redisKeys } from '@huddle/protocol';
import { testSecrets } from '../../edge/test/harness.ts';
import type { SignedInUser } from '../../edge/test/users-helper.ts';
import type { RtcParticipant } from '../../scripts/src/testing/rtc-participant-client.ts';
import type { LivekitRoom } from '../src/sfu/livekit/room.ts';
import { livekitSkipReason, startLivekitStack, type JoinGrant, type LivekitStack } from './livekit-fixture.ts';
import { eventually, type TestClient } from './signaling-helpers.ts';

const skip = livekitSkipReason();
if (skip) console.warn(`skipping the LiveKit engine suite: ${skip}`);

describe.skipIf(skip)('livekit engine on a real livekit-server', { timeout: 60_000 }, () => {
  let stack: LivekitStack;
  let rooms: RoomServiceClient;
  let host: SignedInUser;
  let attendee: SignedInUser;
  let meetingId: string;
  let hostGrant: JoinGrant;
  let attendeeGrant: JoinGrant;
  let signaling: TestClient;
  let a: RtcParticipant;
  let b: RtcParticipant;

  beforeAll(async () => {
    stack = await startLivekitStack();
    rooms = new RoomServiceClient(stack.livekit.httpUrl, testSecrets.LIVEKIT_API_KEY, testSecrets.LIVEKIT_API_SECRET);
    [host, attendee] = (await stack.users(2)) as [SignedInUser, SignedInUser];
    meetingId = await stack.meeting(host, [attendee]);
  }, 90_000);
  afterAll(async () => {
    await stack?.teardown();
  });

  it('places the meeting on the LiveKit node: join returns the node, the LiveKit URL and one token for both', async () => {
    hostGrant = await stack.joinOk(meetingId, host);
    attendeeGrant = await stack.joinOk(meetingId, attendee);
    expect(hostGrant).toMatchObject({ backend: 'livekit', url: stack.node.config.publicUrl, livekitUrl: stack.livekit.url });
    // The host keeps signaling (chat, host controls); its join response names the LiveKit media.
    const joined = await stack.signal(hostGrant.token);
    signaling = joined.client;
    expect(joined.joined.data.media).toEqual({ backend: 'livekit', available: true, livekitUrl: stack.livekit.url });
    const sfu = await signaling.request('sfu.getRouterRtpCapabilities');
    expect(sfu).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    expect(sfu.error.message).toContain(stack.livekit.url);
    // Opening the room created the LiveKit room with the configured options.
    const [room] = await rooms.listRooms([meetingRoomName(meetingId)]);
    expect(room?.emptyTimeout).toBe(300);
  });

  it("carries A's tone to B; webhooks and the observer put A in Postgres, the roster and the room", async () => {
    [a, b] = await Promise.all([stack.participant(), stack.participant()]);
    await b.connect(hostGrant.livekitUrl!, hostGrant.token);
    await a.connect(attendeeGrant.livekitUrl!, attendeeGrant.token);
    await a.command({ cmd: 'publishTone', frequencyHz: 440, amplitude: 0.3 });

    // Energy at the tone's frequency (the first windows may hold the start of the stream).
    const heard = await b.waitFor(
      (e) => e.event === 'audio' && e.identity === attendee.user.id && e.rms > 0.1 && Math.abs(e.dominantHz - 440) < 20,
      20_000,
    );
    expect(heard.frames).toBeGreaterThan(0);

    // participant_joined (A has no signaling connection: LiveKit presence alone) → roster,
    // Postgres and participant.joined; track_published → participant.updated (audio on).
    const joined = await signaling.waitFor((f) => f.method === 'participant.joined' && f.data.participant.userId === attendee.user.id, 10_000);
    expect(joined.data.participant).toMatchObject({ role: 'attendee', nodeId: stack.node.config.nodeId });
    await eventually(async () => (await stack.participantStatus(meetingId, attendee.user.id)) === 'joined', 10_000);
    const updated = await signaling.waitFor(
      (f) => f.method === 'participant.updated' && f.data.participant.userId === attendee.user.id && f.data.participant.media.audio,
      10_000,
    );
    expect(updated.data.participant.media).toEqual({ audio: true, video: false, screen: false });
    const roster = await stack.node.redis.hget(redisKeys.meetingRoster(meetingId), attendee.user.id);
    expect(JSON.parse(roster!)).toMatchObject({ connectionId: expect.stringMatching(/^livekit:PA_/), participant: { media: { audio: true } } });
    // The hidden observer reports the speaker.
    await signaling.waitFor((f) => f.method === 'speaker.active' && f.data.userId === attendee.user.id, 15_000);
    // ... and stays hidden from participants.
    const state = b.events.length;
    await b.command({ cmd: 'state' });
    const seen = b.since(state, (e) => e.event === 'state')[0];
    expect(seen?.participants.map((p: { identity: string }) => p.identity)).toEqual([attendee.user.id]);
  });

  it("taps A's microphone at 16 kHz for captions while a sink is set, and stops when it is removed", async () => {
    const sfuRoom = stack.node.media.room(meetingId)?.sfu;
    expect(sfuRoom).toBeDefined();
    const frames: { userId: string; pcm: Int16Array; atMs: number }[] = [];
    const gone: string[] = [];
    await sfuRoom!.setAudioTap({
      onAudio: (userId, pcm, atMs) => frames.push({ userId, pcm, atMs }),
      onSpeakerGone: (userId) => gone.push(userId),
    });
    await eventually(() => frames.filter((f) => f.userId === attendee.user.id).length >= 100, 15_000);
    const mine = frames.filter((f) => f.userId === attendee.user.id).slice(-50);
    const samples = mine.reduce((n, f) => n + f.pcm.length, 0);
    let crossings = 0;
    let sumSquares = 0;
    let last = 0;
    for (const f of mine) {
      for (const v of f.pcm) {
        sumSquares += (v / 32_768) ** 2;
        if ((v >= 0) !== (last >= 0)) crossings++;
        last = v;
      }
    }
    // 16 kHz: a 440 Hz tone crosses zero ~880 times per 16 000 samples.
    expect(crossings / 2 / (samples / 16_000)).toBeGreaterThan(400);
    expect(crossings / 2 / (samples / 16_000)).toBeLessThan(480);
    expect(Math.sqrt(sumSquares / samples)).toBeGreaterThan(0.05);
    // Frames are ~10 ms of audio, stamped with wall-clock time.
    expect(mine[0]!.pcm.length).toBe(160);
    expect(Math.abs(mine.at(-1)!.atMs - Date.now())).toBeLessThan(5_000);

    await sfuRoom!.setAudioTap(undefined);
    expect(gone).toContain(attendee.user.id);
    await new Promise((r) => setTimeout(r, 1_000));
    const after = frames.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(frames.length).toBe(after);
  });

  it('restarts the observer child process after it crashes, and the restarted one reports again', async () => {
    const observer = (stack.node.media.room(meetingId)?.sfu as LivekitRoom | undefined)?.observer;
    const pid = observer?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await eventually(() => observer!.starts === 2 && observer!.pid !== pid && observer!.connected, 15_000);
    expect(stack.node.media.room(meetingId)?.sfu?.mediaPresence?.(attendee.user.id)).toMatch(/^livekit:PA_/);
  });

  it("host.mute mutes A's microphone on the server; B sees it muted and the room hears of it", async () => {
    const muted = await signaling.request('host.mute', { userId: attendee.user.id });
    expect(muted).toMatchObject({ ok: true });
    await b.waitFor((e) => e.event === 'trackMuted' && e.identity === attendee.user.id && e.source === 'microphone', 10_000);
    const info = await rooms.getParticipant(meetingRoomName(meetingId), attendee.user.id);
    expect(info.tracks.every((t) => t.muted)).toBe(true);
    await signaling.waitFor(
      (f) => f.method === 'participant.updated' && f.data.participant.userId === attendee.user.id && f.data.participant.media.audio === false,
      10_000,
    );
  });

  it('host.remove disconnects A from LiveKit; A is removed in Postgres and leaves the room', async () => {
    const removed = await signaling.request('host.remove', { userId: attendee.user.id });
    expect(removed).toMatchObject({ ok: true });
    await a.waitFor((e) => e.event === 'disconnected', 10_000);
    await signaling.waitFor((f) => f.method === 'participant.left' && f.data.userId === attendee.user.id, 10_000);
    // Removed, not merely left: out until invited again (issue 12, case 1).
    await eventually(async () => (await stack.participantStatus(meetingId, attendee.user.id)) === 'removed', 10_000);
    expect(await stack.node.redis.hexists(redisKeys.meetingRoster(meetingId), attendee.user.id)).toBe(0);
  });

  it('host.endForAll deletes the LiveKit room: B is disconnected', async () => {
    const ended = await signaling.request('host.endForAll');
    expect(ended).toMatchObject({ ok: true });
    await b.waitFor((e) => e.event === 'disconnected', 10_000);
    await eventually(async () => (await rooms.listRooms([meetingRoomName(meetingId)])).length === 0, 10_000);
    await eventually(() => stack.node.media.room(meetingId) === undefined, 5_000);
  });

  it('while LiveKit is down the node reports its SFU unavailable and join answers 503 with Retry-After, creating nothing', async () => {
    const [other] = (await stack.users(1)) as [SignedInUser];
    const fresh = await stack.meeting(other, []);
    await stack.livekit.stop();
    await eventually(() => stack.node.registry.entry().sfuAvailable === false, 10_000);
    await stack.node.registry.heartbeat();
    const refused = await stack.join(fresh, other);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('no_media_node');
    expect(await stack.node.redis.get(redisKeys.meetingNode(fresh))).toBeNull();

    await stack.restartLivekit();
    await eventually(() => stack.node.registry.entry().sfuAvailable === true, 10_000);
    const rooms2 = new RoomServiceClient(stack.livekit.httpUrl, testSecrets.LIVEKIT_API_KEY, testSecrets.LIVEKIT_API_SECRET);
    expect(await rooms2.listRooms([meetingRoomName(fresh)])).toEqual([]);
    await stack.node.registry.heartbeat();
    expect(await stack.joinOk(fresh, other)).toMatchObject({ backend: 'livekit' });
  });
});

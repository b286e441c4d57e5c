// Connection admission (token checks and close codes) and protocol hygiene against a real node.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingParticipants } from '@huddle/db';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, eventually, mintJoinToken, TestClient, type SeededMeeting } from './signaling-helpers.ts';

const suite = createSuite();
let node: MediaNodeServer;
let meeting: SeededMeeting;

beforeAll(async () => {
  node = await suite.startNode();
  meeting = await suite.seedMeeting(['host', 'attendee']);
});
afterAll(() => suite.teardown());

const url = (token: string) => `ws://127.0.0.1:${node.port}/ws?access_token=${encodeURIComponent(token)}`;

async function closeOf(token: string | undefined): Promise<{ code: number; reason: string }> {
  const client = new TestClient(token === undefined ? `ws://127.0.0.1:${node.port}/ws` : url(token));
  return client.closed;
}

describe('http', () => {
  it('serves /health, /ready with each dependency, and /metrics', async () => {
    const base = `http://127.0.0.1:${node.port}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'media-node' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(Object.keys(body.dependencies).sort()).toEqual(['mongodb', 'postgres', 'redis']);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['connections', 'rooms', 'messages_in_total', 'messages_out_total', 'send_queue_drops_total', 'heartbeat_timeouts_total']) {
      expect(metrics).toContain(`huddle_media_${name}`);
    }
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('admission', () => {
  it('refuses a missing, garbage or forged token with 4001', async () => {
    const [host] = meeting.userIds;
    expect((await closeOf(undefined)).code).toBe(4001);
    expect((await closeOf('not-a-jwt')).code).toBe(4001);
    const forged = await mintJoinToken(
      { userId: host!, meetingId: meeting.meetingId, role: 'host' },
      { secret: 'another-secret-of-sufficient-length-0123456789' },
    );
    const closed = await closeOf(forged);
    expect(closed).toEqual({ code: 4001, reason: 'invalid token' });
  });

  it('refuses an expired token with 4401', async () => {
    const token = await mintJoinToken({ userId: meeting.userIds[1]!, meetingId: meeting.meetingId, role: 'attendee' }, { ttl: '-60s' });
    expect(await closeOf(token)).toEqual({ code: 4401, reason: 'token expired' });
  });

  it('refuses other rooms, non-participants and ended meetings with 4003', async () => {
    const otherRoom = await mintJoinToken(
      { userId: meeting.userIds[1]!, meetingId: meeting.meetingId, role: 'attendee' },
      { room: 'some-livekit-room' },
    );
    expect((await closeOf(otherRoom)).code).toBe(4003);

    const other = await suite.seedMeeting(['host']);
    // A valid token for a meeting this user is not part of.
    const stranger = await mintJoinToken({ userId: meeting.userIds[1]!, meetingId: other.meetingId, role: 'attendee' });
    expect(await closeOf(stranger)).toEqual({ code: 4003, reason: 'not a participant of this meeting' });

    const ended = await suite.seedMeeting(['host'], 'ended');
    const late = await mintJoinToken({ userId: ended.userIds[0]!, meetingId: ended.meetingId, role: 'host' });
    expect(await closeOf(late)).toEqual({ code: 4003, reason: 'meeting ended' });
  });

  it('counts refusals in /metrics', async () => {
    const body = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
    expect(body).toMatch(/huddle_media_rejected_connections_total\{code="4001"\} [1-9]/);
    expect(body).toMatch(/huddle_media_rejected_connections_total\{code="4401"\} [1-9]/);
  });
});

describe('protocol', () => {
  it('answers invalid frames with errors and keeps the connection', async () => {
    const token = await mintJoinToken({ userId: meeting.userIds[1]!, meetingId: meeting.meetingId, role: 'attendee' });
    const client = await TestClient.connect(node, token);

    client.sendRaw('{not json');
    expect((await client.waitFor((f) => f.method === 'error')).data.code).toBe('bad_request');
    client.sendRaw(JSON.stringify({ method: 'join' }));
    await eventually(() => client.notifications('error').length === 2);
    client.sendRaw(Buffer.from([1, 2, 3]));
    await eventually(() => client.notifications('error').length === 3);

    const unknown = await client.request('chat.delete', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    const beforeJoin = await client.request('chat.send', { text: 'hi', clientMsgId: 'a' });
    expect(beforeJoin).toMatchObject({ ok: false, error: { code: 'not_joined' } });

    const joined = await client.request('join');
    expect(joined.ok).toBe(true);
    expect(joined.data.self).toMatchObject({ userId: meeting.userIds[1], role: 'attendee', handRaised: false });
    expect((await client.request('join')).error.code).toBe('already_joined');

    const blank = await client.request('chat.send', { text: '   ', clientMsgId: 'a' });
    expect(blank).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const tooLong = await client.request('chat.send', { text: 'x'.repeat(2_001), clientMsgId: 'a' });
    expect(tooLong.error.code).toBe('bad_request');
    const noState = await client.request('media.setState', {});
    expect(noState.error.code).toBe('bad_request');
    const badCursor = await client.request('chat.history', { before: 'nope' });
    expect(badCursor.error.code).toBe('bad_request');
    const badUser = await client.request('host.mute', { userId: 'not-a-uuid' });
    expect(badUser.error.code).toBe('bad_request');

    // Still alive and answering after all that.
    expect((await client.request('hand.raise')).data.participant.handRaised).toBe(true);
    client.close();
    await client.closed;
  });

  it('refuses an oversize frame by closing with 1009', async () => {
    const token = await mintJoinToken({ userId: meeting.userIds[1]!, meetingId: meeting.meetingId, role: 'attendee' });
    const client = await TestClient.connect(node, token);
    client.sendRaw(JSON.stringify({ id: 1, method: 'chat.send', data: { text: 'x'.repeat(70_000), clientMsgId: 'big' } }));
    expect((await client.closed).code).toBe(1009);
  });

  it('records joined and left in Postgres; leave closes normally', async () => {
    const [hostId] = meeting.userIds;
    const token = await mintJoinToken({ userId: hostId!, meetingId: meeting.meetingId, role: 'host' });
    const { client } = await TestClient.join(node, token);
    const row = async () =>
      (
        await suite.db.db
          .select()
          .from(meetingParticipants)
          .where(and(eq(meetingParticipants.meetingId, meeting.meetingId), eq(meetingParticipants.userId, hostId!)))
      )[0]!;
    const joined = await row();
    expect(joined.status).toBe('joined');
    expect(joined.joinedAt).toBeInstanceOf(Date);
    expect(joined.leftAt).toBeNull();

    expect((await client.request('leave')).ok).toBe(true);
    expect((await client.closed).code).toBe(1000);
    const left = await eventually(async () => {
      const r = await row();
      return r.status === 'left' ? r : undefined;
    });
    expect(left.leftAt!.getTime()).toBeGreaterThanOrEqual(left.joinedAt!.getTime());
  });
});

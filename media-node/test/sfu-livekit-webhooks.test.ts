// POST /webhooks/livekit on a media node: signature checks, bad bodies, each event
// applied once, and the presence rule (LiveKit-only participants in Postgres, the
// roster and the room; a signaling participant is not duplicated). Events are signed
// here exactly as livekit-server signs them (JWT with the body's SHA-256).
import { createHash, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingParticipants } from '@huddle/db';
import { meetingRoomName, redisKeys } from '@huddle/protocol';
import type { MediaNodeServer } from '../src/server.ts';
import {
  createSuite,
  createTestSession,
  endTestSession,
  eventually,
  invitedAtMs,
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  mintJoinToken,
  TestClient,
} from './signaling-helpers.ts';

const suite = createSuite();
let node: MediaNodeServer;

beforeAll(async () => {
  node = await suite.startNode({ sfuEngine: 'none' });
});
afterAll(() => suite.teardown());

/** A webhook body as livekit-server sends it (protobuf JSON of WebhookEvent). */
function eventBody(event: string, meetingId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event,
    id: `EV_${randomUUID()}`,
    createdAt: String(Math.floor(Date.now() / 1000)),
    room: { sid: 'RM_test', name: meetingRoomName(meetingId) },
    ...extra,
  });
}

async function sign(body: string, secret = LIVEKIT_API_SECRET): Promise<string> {
  const token = new AccessToken(LIVEKIT_API_KEY, secret, { ttl: 300 });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

async function post(body: string, authorization?: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`http://127.0.0.1:${node.port}/webhooks/livekit`, {
    method: 'POST',
    headers: { 'content-type': 'application/webhook+json', ...(authorization ? { authorization } : {}) },
    body,
  });
  return { status: response.status, json: await response.json() };
}

const participant = (userId: string, sid: string, extra: Record<string, unknown> = {}) => ({
  participant: { sid, identity: userId, name: 'Ada', state: 'ACTIVE', attributes: { role: 'attendee' }, ...extra },
});

/** The attributes of a join token the edge minted for the user now (session, invitation). */
async function tokenAttributes(meetingId: string, userId: string, sessionId?: string) {
  return {
    role: 'attendee',
    sid: sessionId ?? (await createTestSession(userId)),
    invitedAt: String(await invitedAtMs(meetingId, userId)),
  };
}

async function status(meetingId: string, userId: string): Promise<{ status: string; joinedAt: Date | null } | undefined> {
  const [row] = await suite.db.db
    .select({ status: meetingParticipants.status, joinedAt: meetingParticipants.joinedAt })
    .from(meetingParticipants)
    .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)));
  return row;
}

describe('POST /webhooks/livekit', () => {
  it('refuses missing, forged and tampered signatures with 401, and malformed bodies with 400, changing nothing', async () => {
    const { meetingId, userIds } = await suite.seedMeeting(['host', 'attendee']);
    const body = eventBody('participant_joined', meetingId, participant(userIds[1]!, 'PA_forged'));
    expect(await post(body)).toMatchObject({ status: 401, json: { error: { code: 'unauthorized' } } });
    expect(await post(body, await sign(body, 'another-secret-0123456789abcdefghijklmnop'))).toMatchObject({ status: 401 });
    expect(await post(body, 'not-a-jwt')).toMatchObject({ status: 401 });
    // A valid signature of another body.
    expect(await post(body, await sign(eventBody('participant_joined', meetingId)))).toMatchObject({ status: 401 });
    // Signed garbage and signed events without an id are bad requests.
    const garbage = '{"event": ';
    expect(await post(garbage, await sign(garbage))).toMatchObject({ status: 400, json: { error: { code: 'bad_request' } } });
    const noId = JSON.stringify({ event: 'participant_joined', room: { name: meetingRoomName(meetingId) } });
    expect(await post(noId, await sign(noId))).toMatchObject({ status: 400 });
    expect((await status(meetingId, userIds[1]!))?.status).toBe('accepted');
    expect(await node.redis.hlen(redisKeys.meetingRoster(meetingId))).toBe(0);
  });

  it('applies participant_joined once: Postgres, roster and the room; a replay changes nothing', async () => {
    const { meetingId, userIds } = await suite.seedMeeting(['host', 'attendee']);
    const [hostId, attendeeId] = userIds as [string, string];
    const { client } = await TestClient.join(node, await mintJoinToken({ userId: hostId, meetingId, role: 'host' }));
    const body = eventBody(
      'participant_joined',
      meetingId,
      participant(attendeeId, 'PA_once', { attributes: await tokenAttributes(meetingId, attendeeId) }),
    );
    const auth = await sign(body);
    expect(await post(body, auth)).toMatchObject({ status: 200, json: { ok: true, event: 'participant_joined' } });
    const joined = await client.waitFor((f) => f.method === 'participant.joined' && f.data.participant.userId === attendeeId);
    expect(joined.data.participant).toMatchObject({ name: 'Ada', role: 'attendee', media: { audio: false, video: false, screen: false } });
    const first = await status(meetingId, attendeeId);
    expect(first?.status).toBe('joined');

    expect(await post(body, auth)).toMatchObject({ status: 200, json: { duplicate: true } });
    await new Promise((r) => setTimeout(r, 300));
    expect(client.notifications('participant.joined')).toHaveLength(1);
    expect((await status(meetingId, attendeeId))?.joinedAt).toEqual(first?.joinedAt);

    // track_published (microphone) → participant.updated; participant_left → left.
    const track = { track: { sid: 'TR_mic', type: 'AUDIO', source: 'MICROPHONE', muted: false } };
    const published = eventBody('track_published', meetingId, { ...participant(attendeeId, 'PA_once'), ...track });
    expect(await post(published, await sign(published))).toMatchObject({ status: 200 });
    const updated = await client.waitFor((f) => f.method === 'participant.updated' && f.data.participant.userId === attendeeId);
    expect(updated.data.participant.media).toEqual({ audio: true, video: false, screen: false });
    // A stale leave of another session does not take the user out.
    const stale = eventBody('participant_left', meetingId, participant(attendeeId, 'PA_older'));
    expect(await post(stale, await sign(stale))).toMatchObject({ status: 200 });
    const left = eventBody('participant_left', meetingId, participant(attendeeId, 'PA_once'));
    expect(await post(left, await sign(left))).toMatchObject({ status: 200 });
    const gone = await client.waitFor((f) => f.method === 'participant.left' && f.data.userId === attendeeId);
    expect(gone.data.reason).toBe('disconnected');
    expect(client.notifications('participant.left')).toHaveLength(1);
    await eventually(async () => (await status(meetingId, attendeeId))?.status === 'left');
    client.close();
  });

  it('keeps a participant connected by signaling as they are: a LiveKit join adds nothing, a LiveKit leave removes nothing', async () => {
    const { meetingId, userIds } = await suite.seedMeeting(['host', 'attendee']);
    const [hostId, attendeeId] = userIds as [string, string];
    const { client: hostClient } = await TestClient.join(node, await mintJoinToken({ userId: hostId, meetingId, role: 'host' }));
    const { client } = await TestClient.join(node, await mintJoinToken({ userId: attendeeId, meetingId, role: 'attendee' }));
    await hostClient.waitFor((f) => f.method === 'participant.joined');
    const body = eventBody('participant_joined', meetingId, participant(attendeeId, 'PA_both'));
    expect(await post(body, await sign(body))).toMatchObject({ status: 200 });
    const left = eventBody('participant_left', meetingId, participant(attendeeId, 'PA_both'));
    expect(await post(left, await sign(left))).toMatchObject({ status: 200 });
    await new Promise((r) => setTimeout(r, 300));
    expect(hostClient.notifications('participant.joined')).toHaveLength(1);
    expect(hostClient.notifications('participant.left')).toHaveLength(0);
    expect((await status(meetingId, attendeeId))?.status).toBe('joined');
    expect(await node.redis.hexists(redisKeys.meetingRoster(meetingId), attendeeId)).toBe(1);
    client.close();
    hostClient.close();
  });

  it('does not let in through LiveKit whom signaling would refuse: unbound tokens, ended sessions, removed participants', async () => {
    const { meetingId, userIds } = await suite.seedMeeting(['host', 'attendee', 'attendee', 'attendee']);
    const [hostId, unbound, signedOut, removed] = userIds as [string, string, string, string];
    const { client } = await TestClient.join(node, await mintJoinToken({ userId: hostId, meetingId, role: 'host' }));
    const ended = await createTestSession(signedOut);
    const endedAttributes = await tokenAttributes(meetingId, signedOut, ended);
    await endTestSession(ended);
    const removedAttributes = await tokenAttributes(meetingId, removed);
    await suite.db.db
      .update(meetingParticipants)
      .set({ status: 'removed' })
      .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, removed)));
    for (const [userId, attributes] of [
      [unbound, { role: 'attendee' }],
      [signedOut, endedAttributes],
      [removed, removedAttributes],
    ] as const) {
      const body = eventBody('participant_joined', meetingId, participant(userId, `PA_${userId.slice(0, 6)}`, { attributes }));
      expect(await post(body, await sign(body))).toMatchObject({ status: 200 });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(client.notifications('participant.joined')).toHaveLength(0);
    expect(await node.redis.hlen(redisKeys.meetingRoster(meetingId))).toBe(1); // the host only
    expect((await status(meetingId, unbound))?.status).toBe('accepted');
    expect((await status(meetingId, signedOut))?.status).toBe('accepted');
    expect((await status(meetingId, removed))?.status).toBe('removed');
    client.close();
  });

  it('answers 200 and ignores events of rooms that are not meetings and of non-participant identities', async () => {
    const other = JSON.stringify({ event: 'room_started', id: `EV_${randomUUID()}`, room: { name: 'some-other-room' } });
    expect(await post(other, await sign(other))).toMatchObject({ status: 200, json: { ignored: 'not a meeting room' } });
    const { meetingId } = await suite.seedMeeting(['host']);
    const observer = eventBody('participant_joined', meetingId, participant('observer-node-1', 'PA_obs'));
    expect(await post(observer, await sign(observer))).toMatchObject({ status: 200, json: { ignored: 'not a meeting participant' } });
    expect(await node.redis.hlen(redisKeys.meetingRoster(meetingId))).toBe(0);
  });
});

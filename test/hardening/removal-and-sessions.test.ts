// Issue 12, cases 1 and 5, against the running system (edge in workerd, two media nodes):
// a removed participant stays out until invited again, and a join token dies with the
// login session that minted it — on every node, for joined and unjoined sockets, for
// new connections and for history reads.
import { randomUUID } from 'node:crypto';
import { TokenVerifier } from 'livekit-server-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { joinTokenAttributesSchema, meetingRoomName, redisKeys } from '@huddle/protocol';
import type { SignedInUser } from '../../edge/test/users-helper.ts';
import { LIVEKIT_API_KEY, LIVEKIT_API_SECRET, TestClient } from '../../media-node/test/signaling-helpers.ts';
import type { MediaNodeServer } from '../../media-node/src/server.ts';
import {
  api,
  closeOf,
  historyStatus,
  joinGrant,
  joinRoom,
  ongoingMeeting,
  openSocket,
  participantStatus,
  setParticipants,
  signInAgain,
  signUp,
  stackForFile,
  type Stack,
} from './stack.ts';

const file = stackForFile({ nodeCount: 2 });
let stack: Stack;
let nodeA: MediaNodeServer;
let nodeB: MediaNodeServer;
beforeAll(() => {
  ({ stack } = file);
  [nodeA, nodeB] = [file.node(0), file.node(1)];
});

/** A connection attempt with `token` to `node`: how the node closes it. */
async function refusal(node: MediaNodeServer, token: string) {
  const client = new TestClient(`ws://127.0.0.1:${node.port}/ws?access_token=${encodeURIComponent(token)}`);
  return client.closed;
}

const REMOVED_CLOSE = { code: 1000, reason: 'removed by the host' };
const REMOVED_REFUSAL = { code: 4003, reason: 'removed from this meeting by the host' };
const SESSION_ENDED = { code: 4001, reason: 'session ended; sign in again' };

describe('case 1: a removed participant stays out until invited again', () => {
  it('as written: removed B is closed, and the same token, a new token, history and the edge all refuse them', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const hostClient = await joinRoom(nodeA, (await joinGrant(stack, host, meetingId)).token);
    const bGrant = await joinGrant(stack, b, meetingId);
    const bJoined = await joinRoom(nodeB, bGrant.token); // B on the other node
    const bIdle = await openSocket(nodeA, bGrant.token); // and a socket B opened but never joined with

    expect(await hostClient.request('host.remove', { userId: b.user.id })).toMatchObject({ ok: true, data: { userId: b.user.id } });
    expect(await bJoined.closed).toEqual(REMOVED_CLOSE);
    expect(await bIdle.closed).toEqual(REMOVED_CLOSE);
    const left = await hostClient.waitFor((f) => f.method === 'participant.left' && f.data.userId === b.user.id);
    expect(left.data.reason).toBe('removed');

    // B reconnects with the same join token: refused on every node.
    expect(await refusal(nodeA, bGrant.token)).toEqual(REMOVED_REFUSAL);
    expect(await refusal(nodeB, bGrant.token)).toEqual(REMOVED_REFUSAL);
    // The edge gives B no new token, no meeting, no AI intake.
    for (const [method, path, body] of [
      ['POST', `/meetings/${meetingId}/join`, undefined],
      ['GET', `/meetings/${meetingId}`, undefined],
      ['POST', '/ai/tasks', { type: 'sentiment', meetingId, payload: { text: 'hello' } }],
    ] as const) {
      const answer = await api(stack, b, method, path, body);
      expect(answer, `${method} ${path}`).toMatchObject({ status: 403, body: { error: { code: 'participant_removed' } } });
    }
    // History: neither the join token nor B's access token reads it.
    expect(await historyStatus(nodeA, meetingId, bGrant.token)).toBe(403);
    expect(await historyStatus(nodeB, meetingId, b.accessToken)).toBe(403);
    // Their media was dropped too (SfuRoom.removeParticipant: on LiveKit, out of its room).
    expect(stack.sfuRemovals()).toContain(`${meetingId}:${b.user.id}`);
    // The participant record says removed, to the host as well.
    expect(await participantStatus(stack, meetingId, b.user.id)).toBe('removed');
    const seen = await api(stack, host, 'GET', `/meetings/${meetingId}`);
    expect(seen.body.participants).toContainEqual({ userId: b.user.id, role: 'attendee', status: 'removed' });
    hostClient.close();
  });

  it('inviting B again restores them: a new token joins, tokens minted before the removal stay void', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const hostClient = await joinRoom(nodeA, (await joinGrant(stack, host, meetingId)).token);
    const before = await joinGrant(stack, b, meetingId);
    expect((await hostClient.request('host.remove', { userId: b.user.id })).ok).toBe(true);

    const invited = await api(stack, host, 'POST', `/meetings/${meetingId}/invitations`, { userIds: [b.user.id] });
    expect(invited.status).toBe(200);
    expect(invited.body.invitedUserIds).toEqual([b.user.id]);
    expect(await participantStatus(stack, meetingId, b.user.id)).toBe('pending');

    expect(await refusal(nodeA, before.token)).toEqual({ code: 4003, reason: 'the token predates your current invitation; join again' });
    expect(await historyStatus(nodeA, meetingId, before.token)).toBe(401);
    const after = await joinGrant(stack, b, meetingId);
    const back = await joinRoom(nodeB, after.token);
    expect(await participantStatus(stack, meetingId, b.user.id)).toBe('joined');
    expect(await historyStatus(nodeA, meetingId, b.accessToken)).toBe(200);
    back.close();
    hostClient.close();
  });

  it('removal is checked at join and by the sweep even when its event never arrives', async () => {
    const [host, b, c] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b, c]);
    const bIdle = await openSocket(nodeA, (await joinGrant(stack, b, meetingId)).token);
    const cJoined = await joinRoom(nodeB, (await joinGrant(stack, c, meetingId)).token);
    // Removed in Postgres only: no pub/sub message reaches the nodes.
    await setParticipants(stack, meetingId, [b.user.id, c.user.id], { status: 'removed' });

    // B's open socket asks to join: refused, then closed like an upgrade would be.
    const joined = await bIdle.request('join');
    expect(joined).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'removed from this meeting by the host' } });
    expect(await bIdle.closed).toEqual(REMOVED_REFUSAL);
    expect(await participantStatus(stack, meetingId, b.user.id)).toBe('removed');
    // C is in the room: the sweep finds out.
    expect(await closeOf(cJoined, 300)).toBe('open');
    await nodeB.media.sweepAccess();
    expect(await cJoined.closed).toEqual(REMOVED_REFUSAL);
  });

  it('who may remove whom: not the host, a cohost only by the host; absent participants too; twice is fine', async () => {
    const [host, cohost, other, attendee, absent] = (await Promise.all(Array.from({ length: 5 }, () => signUp(stack)))) as [
      SignedInUser,
      SignedInUser,
      SignedInUser,
      SignedInUser,
      SignedInUser,
    ];
    const meetingId = await ongoingMeeting(stack, host, [cohost, other, attendee, absent]);
    await setParticipants(stack, meetingId, [cohost.user.id, other.user.id], { role: 'cohost' });
    const clientOf = async (who: SignedInUser) => joinRoom(nodeA, (await joinGrant(stack, who, meetingId)).token);
    const [hostClient, cohostClient, attendeeClient] = [await clientOf(host), await clientOf(cohost), await clientOf(attendee)];

    expect((await attendeeClient.request('host.remove', { userId: cohost.user.id })).error.code).toBe('forbidden');
    expect((await cohostClient.request('host.remove', { userId: host.user.id })).error).toEqual({ code: 'forbidden', message: 'the host cannot be removed' });
    expect((await cohostClient.request('host.remove', { userId: other.user.id })).error).toEqual({ code: 'forbidden', message: 'only the host may remove a cohost' });
    expect((await cohostClient.request('host.remove', { userId: randomUUID() })).error.code).toBe('not_found');
    expect((await cohostClient.request('host.remove', { userId: cohost.user.id })).error.code).toBe('bad_request');
    // Someone who is not connected can be removed; removing again changes nothing.
    expect((await cohostClient.request('host.remove', { userId: absent.user.id })).ok).toBe(true);
    expect((await hostClient.request('host.remove', { userId: absent.user.id })).ok).toBe(true);
    expect(await participantStatus(stack, meetingId, absent.user.id)).toBe('removed');
    expect((await api(stack, absent, 'POST', `/meetings/${meetingId}/join`)).status).toBe(403);
    // The host removes a cohost; the cohost may no longer invite.
    expect((await hostClient.request('host.remove', { userId: other.user.id })).ok).toBe(true);
    const invite = await api(stack, other, 'POST', `/meetings/${meetingId}/invitations`, { userIds: [absent.user.id] });
    expect(invite).toMatchObject({ status: 403, body: { error: { code: 'participant_removed' } } });
    for (const c of [hostClient, cohostClient, attendeeClient]) c.close();
  });
});

describe('case 5: a join token belongs to the login session that minted it', () => {
  it('as written: after logout the token neither connects nor reads history; open sockets close 4001 at once', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const bOtherDevice = await signInAgain(stack, b);
    const grant = await joinGrant(stack, b, meetingId);
    const bJoined = await joinRoom(nodeA, grant.token);
    const bIdle = await openSocket(nodeB, grant.token);
    expect(await historyStatus(nodeB, meetingId, grant.token)).toBe(200);

    const started = Date.now();
    expect((await stack.edge.fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${b.accessToken}` } })).status).toBe(204);
    expect(await bJoined.closed).toEqual(SESSION_ENDED);
    expect(await bIdle.closed).toEqual(SESSION_ENDED);
    // Pushed, not polled: well within the sweep interval (30 s).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stack.sfuRemovals()).toContain(`${meetingId}:${b.user.id}`); // their media too

    expect(await refusal(nodeA, grant.token)).toEqual(SESSION_ENDED);
    expect(await historyStatus(nodeA, meetingId, grant.token)).toBe(401);
    // B's other session is untouched.
    expect(await historyStatus(nodeA, meetingId, bOtherDevice.accessToken)).toBe(200);
    const again = await joinRoom(nodeB, (await joinGrant(stack, bOtherDevice, meetingId)).token);
    again.close();
  });

  it('refresh-token reuse revokes the session\'s join tokens the same way', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const grant = await joinGrant(stack, b, meetingId);
    const bJoined = await joinRoom(nodeB, grant.token);
    const refresh = (refreshToken: string) =>
      stack.edge.fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
    expect((await refresh(b.refreshToken)).status).toBe(200);
    expect(await closeOf(bJoined, 300)).toBe('open'); // a rotation is not a revocation
    await stack.redis.hset(redisKeys.session(b.refreshToken.split('.')[0]!), 'graceUntil', '0');
    expect((await refresh(b.refreshToken)).status).toBe(401); // reuse: the family is revoked
    expect(await bJoined.closed).toEqual(SESSION_ENDED);
    expect(await refusal(nodeA, grant.token)).toEqual(SESSION_ENDED);
  });

  it('a revocation whose message is lost is caught by the sweep', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const bJoined = await joinRoom(nodeA, (await joinGrant(stack, b, meetingId)).token);
    await stack.redis.del(redisKeys.session(b.refreshToken.split('.')[0]!)); // no session.revoked published
    expect(await closeOf(bJoined, 300)).toBe('open');
    await nodeA.media.sweepAccess();
    expect(await bJoined.closed).toEqual(SESSION_ENDED);
  });

  it('the token stays a LiveKit access token: a LiveKit verifier accepts it and reads the binding as string attributes', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const { token } = await joinGrant(stack, b, meetingId);
    const claims = await new TokenVerifier(LIVEKIT_API_KEY, LIVEKIT_API_SECRET).verify(token);
    expect(claims.sub).toBe(b.user.id);
    expect(claims.video).toMatchObject({ room: meetingRoomName(meetingId), roomJoin: true });
    expect(joinTokenAttributesSchema.parse(claims.attributes)).toEqual({
      role: 'attendee',
      sid: b.refreshToken.split('.')[0],
      invitedAt: expect.stringMatching(/^\d{13}$/),
    });
    for (const value of Object.values(claims.attributes ?? {})) expect(typeof value).toBe('string');
  });

  it('refuses tokens without the session binding (minted elsewhere) with 4001', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const { AccessToken } = await import('livekit-server-sdk');
    const unbound = new AccessToken(LIVEKIT_API_KEY, LIVEKIT_API_SECRET, { identity: b.user.id, ttl: 60, attributes: { role: 'attendee' } });
    unbound.addGrant({ room: meetingRoomName(meetingId), roomJoin: true });
    expect(await refusal(nodeA, await unbound.toJwt())).toEqual({ code: 4001, reason: 'token is not bound to a session; join again' });
  });
});

// Issue 12, case 2, against the running system: an ended meeting closes every socket of
// it, joined or not, whichever way it ended, and a socket opened before the end cannot
// join it or write to it afterwards — even when the end's pub/sub message is lost.
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { meetings } from '@huddle/db';
import type { MediaNodeServer } from '../../media-node/src/server.ts';
import {
  api,
  closeOf,
  joinGrant,
  joinRoom,
  ongoingMeeting,
  openSocket,
  participantStatus,
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

const ENDED_CLOSE = { code: 1000, reason: 'meeting ended' };

describe('case 2: joining an ended meeting through a socket opened before the end', () => {
  it('as written: POST /end closes B\'s unjoined socket with the notice; B never joins and no room opens', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const bSocket = await openSocket(nodeB, (await joinGrant(stack, b, meetingId)).token);

    const ended = await api(stack, host, 'POST', `/meetings/${meetingId}/end`);
    expect(ended.status).toBe(200);
    const notice = await bSocket.waitFor((f) => f.method === 'meeting.ended');
    expect(notice.data).toEqual({ meetingId, endedBy: host.user.id, endedAt: ended.body.endedAt });
    expect(await bSocket.closed).toEqual(ENDED_CLOSE);
    expect(nodeB.media.room(meetingId)).toBeUndefined();
    expect(await participantStatus(stack, meetingId, b.user.id)).toBe('pending');
  });

  it('when the end\'s message is lost: join and chat.send on the old socket are refused by Postgres, the sweep closes joined ones', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const hostClient = await joinRoom(nodeA, (await joinGrant(stack, host, meetingId)).token);
    const bSocket = await openSocket(nodeB, (await joinGrant(stack, b, meetingId)).token);
    // Ended in Postgres only: no meeting.ended reaches the nodes.
    await stack.pg.db.update(meetings).set({ status: 'ended', endedAt: new Date() }).where(eq(meetings.id, meetingId));

    expect(await bSocket.request('chat.send', { text: 'anyone?', clientMsgId: 'm1' })).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await bSocket.request('join')).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'meeting ended' } });
    expect(await bSocket.closed).toEqual({ code: 4003, reason: 'meeting ended' });
    expect(nodeB.media.room(meetingId)).toBeUndefined();
    expect(await participantStatus(stack, meetingId, b.user.id)).toBe('pending');

    expect(await closeOf(hostClient, 300)).toBe('open');
    await nodeA.media.sweepAccess();
    expect(await hostClient.closed).toEqual({ code: 4003, reason: 'meeting ended' });
  });

  it('host.endForAll closes every socket of the meeting on every node, joined or not', async () => {
    const [host, b, c] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b, c]);
    const hostClient = await joinRoom(nodeA, (await joinGrant(stack, host, meetingId)).token);
    const cJoined = await joinRoom(nodeB, (await joinGrant(stack, c, meetingId)).token);
    const bIdleA = await openSocket(nodeA, (await joinGrant(stack, b, meetingId)).token);
    const bIdleB = await openSocket(nodeB, (await joinGrant(stack, b, meetingId)).token);

    expect((await hostClient.request('host.endForAll')).ok).toBe(true);
    for (const client of [hostClient, cJoined, bIdleA, bIdleB]) {
      expect((await client.waitFor((f) => f.method === 'meeting.ended')).data).toMatchObject({ meetingId, endedBy: host.user.id });
      expect(await client.closed).toEqual(ENDED_CLOSE);
    }
    const [row] = await stack.pg.db.select({ status: meetings.status }).from(meetings).where(eq(meetings.id, meetingId));
    expect(row?.status).toBe('ended');
    expect(await participantStatus(stack, meetingId, c.user.id)).toBe('left');
  });

  it('an ended meeting refuses new sockets (4003) and new join tokens (409)', async () => {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const grant = await joinGrant(stack, b, meetingId);
    expect((await api(stack, host, 'POST', `/meetings/${meetingId}/end`)).status).toBe(200);
    const late = await openSocket(nodeA, grant.token).catch(() => undefined);
    expect(late ? await late.closed : undefined).toEqual({ code: 4003, reason: 'meeting ended' });
    expect(await api(stack, b, 'POST', `/meetings/${meetingId}/join`)).toMatchObject({ status: 409, body: { error: { code: 'meeting_ended' } } });
  });
});

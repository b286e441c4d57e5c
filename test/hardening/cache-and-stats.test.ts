// Issue 12, case 3 and the chat count, against the running system: every write to what
// the cached meeting view shows — the media node's included — invalidates it where the
// write happens; meeting_stats.chat_message_count counts the stored chat messages,
// whichever way the meeting ends.
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { meetingStats } from '@huddle/db';
import { meetingCacheKeys, redisKeys } from '@huddle/protocol';
import type { SignedInUser } from '../../edge/test/users-helper.ts';
import type { MediaNodeServer } from '../../media-node/src/server.ts';
import { api, joinGrant, joinRoom, ongoingMeeting, signUp, stackForFile, type Stack } from './stack.ts';

const file = stackForFile({ nodeCount: 1 });
let stack: Stack;
let node: MediaNodeServer;
beforeAll(() => {
  ({ stack } = file);
  node = file.node(0);
});

/** What GET /meetings/{id} shows as `who`'s status (and the meeting's status). */
async function shown(host: SignedInUser, meetingId: string, who: SignedInUser) {
  const meeting = await api(stack, host, 'GET', `/meetings/${meetingId}`);
  expect(meeting.status).toBe(200);
  return { meeting: meeting.body.status, participant: meeting.body.participants.find((p: any) => p.userId === who.user.id)?.status };
}

const generation = async (meetingId: string) => Number((await stack.redis.get(meetingCacheKeys.generation(meetingId))) ?? 0);

describe('case 3: the cached meeting tells the truth', () => {
  it('as written: GET fills the cache, B joins over WebSocket, the next GET shows B joined — and so on through leave, removal and end', async () => {
    const [host, b, c] = await Promise.all([signUp(stack), signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b, c]);
    expect(await shown(host, meetingId, b)).toEqual({ meeting: 'ongoing', participant: 'pending' });
    expect(await stack.redis.exists(redisKeys.meeting(meetingId))).toBe(1); // the cache is filled

    const generations = [await generation(meetingId)];
    const bClient = await joinRoom(node, (await joinGrant(stack, b, meetingId)).token);
    expect(await shown(host, meetingId, b)).toEqual({ meeting: 'ongoing', participant: 'joined' });
    generations.push(await generation(meetingId));

    expect((await bClient.request('leave')).ok).toBe(true);
    await bClient.closed;
    await expect.poll(async () => (await shown(host, meetingId, b)).participant).toBe('left');
    generations.push(await generation(meetingId));

    const hostClient = await joinRoom(node, (await joinGrant(stack, host, meetingId)).token);
    expect((await hostClient.request('host.remove', { userId: c.user.id })).ok).toBe(true);
    expect(await shown(host, meetingId, c)).toEqual({ meeting: 'ongoing', participant: 'removed' });
    generations.push(await generation(meetingId));

    expect((await hostClient.request('host.endForAll')).ok).toBe(true);
    await hostClient.closed;
    await expect.poll(async () => (await shown(host, meetingId, host)).meeting).toBe('ended');
    expect((await shown(host, meetingId, host)).participant).toBe('left');
    generations.push(await generation(meetingId));
    // Each media node write bumped the generation, so no fill that started before it can put the old view back.
    for (let i = 1; i < generations.length; i++) expect(generations[i]).toBeGreaterThan(generations[i - 1]!);
  });
});

describe('meeting_stats.chat_message_count', () => {
  async function chatInMeeting(endWith: 'edge' | 'host.endForAll') {
    const [host, b] = await Promise.all([signUp(stack), signUp(stack)]);
    const meetingId = await ongoingMeeting(stack, host, [b]);
    const hostClient = await joinRoom(node, (await joinGrant(stack, host, meetingId)).token);
    const bClient = await joinRoom(node, (await joinGrant(stack, b, meetingId)).token);
    for (const [client, text, id] of [
      [hostClient, 'hello', 'h1'],
      [bClient, 'hi there', 'b1'],
      [bClient, 'hi there', 'b1'], // a retry: the same message, not a new one
      [hostClient, 'agenda?', 'h2'],
    ] as const) {
      expect((await client.request('chat.send', { text, clientMsgId: id })).ok).toBe(true);
    }
    // Refused messages are not stored, so not counted.
    expect((await bClient.request('chat.send', { text: '\u200b \u200b', clientMsgId: 'b2' })).ok).toBe(false);
    expect(Number(await stack.redis.get(redisKeys.meetingChatCount(meetingId)))).toBe(3);

    if (endWith === 'edge') {
      const ended = await api(stack, host, 'POST', `/meetings/${meetingId}/end`);
      expect(ended.status).toBe(200);
    } else {
      expect((await hostClient.request('host.endForAll')).ok).toBe(true);
    }
    await expect
      .poll(async () => (await stack.pg.db.select().from(meetingStats).where(eq(meetingStats.meetingId, meetingId)))[0]?.chatMessageCount)
      .toBe(3);
    hostClient.close();
    bClient.close();
  }

  it('counts the stored messages when the edge ends the meeting (POST /end)', () => chatInMeeting('edge'));
  it('counts the stored messages when the host ends it for all (host.endForAll)', () => chatInMeeting('host.endForAll'));
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingStats, type NodeDb } from '@huddle/db';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { insertMeeting, openTestDb, testDatabaseUrl } from './join-fixtures.ts';
import { authHeaders, registerAndLogin, type SignedInUser } from './users-helper.ts';

let edge: EdgeUnderTest;
let pg: NodeDb;
let host: SignedInUser;
let attendee: SignedInUser;
let outsider: SignedInUser;

beforeAll(async () => {
  pg = openTestDb();
  edge = await startEdge({ databaseUrl: testDatabaseUrl });
  [host, attendee, outsider] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge), registerAndLogin(edge)]);
});
afterAll(async () => {
  await edge?.close();
  await pg?.close();
});

const summaryOf = (meetingId: string, user: SignedInUser) =>
  edge.fetch(`/api/v1/meetings/${meetingId}/summary`, { headers: authHeaders(user.accessToken) });

describe('GET /api/v1/meetings/{id}/summary', () => {
  it('shows a participant the statistics of an ended meeting, with no summary until one is written', async () => {
    const meetingId = await insertMeeting(pg, {
      hostId: host.user.id,
      status: 'ended',
      title: 'Retro',
      participants: [{ userId: attendee.user.id, status: 'left' }],
    });
    await pg.db.insert(meetingStats).values({ meetingId, participantCount: 2, peakParticipants: 2, durationSeconds: 95, totalParticipantSeconds: 180 });
    const response = await summaryOf(meetingId, attendee);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      meetingId,
      title: 'Retro',
      status: 'ended',
      stats: { participantCount: 2, peakParticipants: 2, durationSeconds: 95, totalParticipantSeconds: 180, chatMessageCount: 0 },
      summary: null,
      keywords: null,
      talkTime: null,
      summarizedAt: null,
    });
    expect(Date.parse(body.endedAt)).not.toBeNaN();
  });

  it('answers stats null for a meeting that has not ended', async () => {
    const meetingId = await insertMeeting(pg, { hostId: host.user.id, status: 'ongoing' });
    const body = await (await summaryOf(meetingId, host)).json();
    expect(body).toMatchObject({ status: 'ongoing', stats: null, endedAt: null });
  });

  it('is 404 for people outside the meeting and for unknown meetings, 400 for a bad id, 401 without a token', async () => {
    const meetingId = await insertMeeting(pg, { hostId: host.user.id, status: 'ended' });
    expect((await summaryOf(meetingId, outsider)).status).toBe(404);
    expect((await summaryOf(crypto.randomUUID(), host)).status).toBe(404);
    expect((await summaryOf('not-a-uuid', host)).status).toBe(400);
    expect((await edge.fetch(`/api/v1/meetings/${meetingId}/summary`)).status).toBe(401);
  });

  it('is 403 participant_removed for a participant the host removed, and reads nothing', async () => {
    const meetingId = await insertMeeting(pg, {
      hostId: host.user.id,
      status: 'ended',
      participants: [{ userId: attendee.user.id, status: 'removed' }],
    });
    const response = await summaryOf(meetingId, attendee);
    expect(response.status).toBe(403);
    const body = await response.json();
    expect(body).toEqual({ error: expect.objectContaining({ code: 'participant_removed' }) });
    expect(body).not.toHaveProperty('title');
    expect((await summaryOf(meetingId, host)).status).toBe(200);
  });
});

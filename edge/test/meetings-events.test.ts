// Every meeting state change is published (after commit) on the meeting's channel and
// on the all-meetings channel; failed requests publish nothing. A real Redis
// subscriber (TCP) listens while the edge runs in workerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingEventSchema, meetingEventTypes, redisKeys, type MeetingEvent } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from './harness.ts';
import { registerAndLogin, type SignedInUser } from './users-helper.ts';
import { callerFor, collectMessages, meetingInput, unknownId, type Caller } from './meetings-fixtures.ts';

let edge: EdgeUnderTest;
let host: SignedInUser, attendee: SignedInUser, late: SignedInUser;
let asHost: Caller, asAttendee: Caller;

beforeAll(async () => {
  edge = await startEdge();
  [host, attendee, late] = (await Promise.all([0, 1, 2].map(() => registerAndLogin(edge)))) as [
    SignedInUser,
    SignedInUser,
    SignedInUser,
  ];
  asHost = callerFor(edge, host.accessToken);
  asAttendee = callerFor(edge, attendee.accessToken);
});
afterAll(() => edge?.close());

describe('meeting events', () => {
  it('publishes created, updated, invited, started, ended on both channels with the documented payloads', async () => {
    const listener = await collectMessages([redisKeys.allMeetingEvents], [redisKeys.meetingEvents('*')]);
    try {
      const created = await asHost('POST', '/api/v1/meetings', meetingInput({ invitedUserIds: [attendee.user.id] }));
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      const url = `/api/v1/meetings/${id}`;

      expect((await asHost('PATCH', url, { title: 'Retitled', duration: 50 })).status).toBe(200);
      expect((await asHost('POST', `${url}/invitations`, { userIds: [late.user.id] })).status).toBe(200);
      // Requests that change nothing publish nothing:
      expect((await asHost('POST', `${url}/invitations`, { userIds: [late.user.id] })).status).toBe(200); // already invited
      expect((await asHost('POST', `${url}/invitations`, { userIds: [unknownId()] })).status).toBe(400);
      expect((await asAttendee('PATCH', url, { title: 'Nope' })).status).toBe(403);
      expect((await asHost('POST', `${url}/end`)).status).toBe(409);
      expect((await asHost('POST', `${url}/start`)).status).toBe(200);
      expect((await asHost('POST', `${url}/start`)).status).toBe(409);
      const ended = await asHost('POST', `${url}/end`);
      expect(ended.status).toBe(200);

      const mine = (channel: string) =>
        listener.messages.filter((m) => m.channel === channel && (m.payload as MeetingEvent).meetingId === id);
      await listener.waitFor(
        () =>
          mine(redisKeys.meetingEvents(id)).some((m) => (m.payload as MeetingEvent).type === 'meeting.ended') &&
          mine(redisKeys.allMeetingEvents).some((m) => (m.payload as MeetingEvent).type === 'meeting.ended'),
      );

      const perMeeting = mine(redisKeys.meetingEvents(id)).map((m) => m.payload);
      const firehose = mine(redisKeys.allMeetingEvents).map((m) => m.payload);
      expect(firehose).toEqual(perMeeting);
      // Every type but meeting.participantRemoved, which the media node publishes (host.remove).
      expect(perMeeting.map((e) => (e as MeetingEvent).type)).toEqual(
        meetingEventTypes.filter((type) => type !== 'meeting.participantRemoved'),
      );

      const events = perMeeting.map((e) => meetingEventSchema.parse(e));
      for (const event of events) {
        expect(event.meetingId).toBe(id);
        expect(Math.abs(Date.parse(event.at) - Date.now())).toBeLessThan(60_000);
      }
      const [createdEvent, updatedEvent, invitedEvent, startedEvent, endedEvent] = events;
      expect(createdEvent?.data).toEqual({
        title: created.body.title,
        meetingCode: created.body.meetingCode,
        creatorId: host.user.id,
        startTime: created.body.startTime,
        duration: created.body.duration,
        participantIds: [host.user.id, attendee.user.id],
      });
      expect(updatedEvent?.data).toEqual({ fields: ['title', 'duration'] });
      expect(invitedEvent?.data).toEqual({ userIds: [late.user.id], invitedBy: host.user.id });
      expect(startedEvent?.data).toEqual({ startedAt: ended.body.startedAt, startedBy: host.user.id });
      expect(endedEvent?.data).toEqual({
        endedAt: ended.body.endedAt,
        endedBy: host.user.id,
        stats: { participantCount: 0, peakParticipants: 0, durationSeconds: expect.any(Number), totalParticipantSeconds: 0, chatMessageCount: 0 },
      });
    } finally {
      await listener.close();
    }
  });
});

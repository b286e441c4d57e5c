import { z } from 'zod';
import { parseJsonWith } from './json.ts';

/**
 * Meeting lifecycle events. The edge publishes each one (JSON) on the meeting's
 * channel `meeting:{id}:events` (redisKeys.meetingEvents) and on the firehose
 * `meeting_events` (redisKeys.allMeetingEvents) after the change is committed.
 * Delivery is Redis pub/sub: at most once, subscribers that are down miss events,
 * so treat them as hints and read the current state from the API when in doubt.
 * Media nodes subscribe to the firehose: on `meeting.ended` they close every socket of
 * the meeting (joined or not), on `meeting.participantRemoved` every socket of that user
 * in that meeting.
 */
export const meetingEventTypes = [
  'meeting.created',
  'meeting.updated',
  'meeting.invited',
  'meeting.started',
  'meeting.ended',
  'meeting.participantRemoved',
] as const;
export type MeetingEventType = (typeof meetingEventTypes)[number];

const isoTime = z.iso.datetime({ offset: true });

const envelope = <T extends MeetingEventType, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    meetingId: z.uuid(),
    /** When the change was committed (ISO 8601). */
    at: isoTime,
    data,
  });

/** Fields of a meeting that `meeting.updated` may report as changed. */
export const meetingUpdatableFields = ['title', 'startTime', 'duration', 'settings'] as const;

/** Aggregates written to meeting_stats when a meeting ends. */
export const meetingStatsSummarySchema = z.object({
  /** Distinct users who joined. */
  participantCount: z.number().int().nonnegative(),
  /** Most people in the room at the same time. */
  peakParticipants: z.number().int().nonnegative(),
  /** ended_at - started_at. */
  durationSeconds: z.number().int().nonnegative(),
  /** Sum over participants of their time in the room. */
  totalParticipantSeconds: z.number().int().nonnegative(),
  /** Chat messages stored during the meeting (0 when a publisher predates the field). */
  chatMessageCount: z.number().int().nonnegative().default(0),
});
export type MeetingStatsSummary = z.infer<typeof meetingStatsSummarySchema>;

/** One meeting lifecycle event, discriminated by `type`. */
export const meetingEventSchema = z.discriminatedUnion('type', [
  envelope(
    'meeting.created',
    z.object({
      title: z.string(),
      meetingCode: z.string(),
      creatorId: z.uuid(),
      startTime: isoTime,
      /** Minutes. */
      duration: z.number().int().positive(),
      /** Everyone in the meeting at creation: the host first, then the invitees. */
      participantIds: z.array(z.uuid()),
    }),
  ),
  envelope(
    'meeting.updated',
    z.object({
      /** Which fields the update set (values: GET the meeting). */
      fields: z.array(z.enum(meetingUpdatableFields)).min(1),
    }),
  ),
  envelope(
    'meeting.invited',
    z.object({
      /** Users added by this invitation (already-invited ones are not repeated). */
      userIds: z.array(z.uuid()),
      invitedBy: z.uuid(),
    }),
  ),
  envelope('meeting.started', z.object({ startedAt: isoTime, startedBy: z.uuid() })),
  envelope(
    'meeting.ended',
    z.object({ endedAt: isoTime, endedBy: z.uuid(), stats: meetingStatsSummarySchema }),
  ),
  /** A host or cohost removed a participant: out until invited again (status `removed`). */
  envelope('meeting.participantRemoved', z.object({ userId: z.uuid(), removedBy: z.uuid() })),
]);
export type MeetingEvent = z.infer<typeof meetingEventSchema>;

/** The event of one type, e.g. `MeetingEventOf<'meeting.ended'>`. */
export type MeetingEventOf<T extends MeetingEventType> = Extract<MeetingEvent, { type: T }>;

/** Parses a pub/sub message; undefined when it is not valid JSON or not a known event. */
export function parseMeetingEvent(message: string): MeetingEvent | undefined {
  return parseJsonWith(meetingEventSchema, message);
}

import type { Redis } from '@upstash/redis/cloudflare';
import { redisKeys, type MeetingEvent, type MeetingEventOf, type MeetingEventType } from '@huddle/protocol';
import { invalidateMeeting } from './meeting-cache.ts';

/** Builds an event of `type` for `meetingId`, stamped now. */
export function meetingEvent<T extends MeetingEventType>(
  type: T,
  meetingId: string,
  data: MeetingEventOf<T>['data'],
): MeetingEventOf<T> {
  return { type, meetingId, at: new Date().toISOString(), data } as MeetingEventOf<T>;
}

/** Publishes `event` on the meeting's channel and on the all-meetings channel. */
export async function publishMeetingEvent(redis: Redis, event: MeetingEvent): Promise<void> {
  const message = JSON.stringify(event);
  await redis
    .pipeline()
    .publish(redisKeys.meetingEvents(event.meetingId), message)
    .publish(redisKeys.allMeetingEvents, message)
    .exec();
}

/**
 * What follows every committed meeting write: drop the cached meeting, then
 * announce the change. The write is already committed, so a Redis failure here
 * must not turn the request into an error (the client would retry a change that
 * happened); it is logged, and the cache TTL bounds how long a reader can see the
 * old state.
 */
export async function afterMeetingWrite(redis: Redis, event: MeetingEvent): Promise<void> {
  const steps: [string, () => Promise<void>][] = [
    ['invalidate meeting cache', () => invalidateMeeting(redis, event.meetingId)],
    ['publish meeting event', () => publishMeetingEvent(redis, event)],
  ];
  if (event.type === 'meeting.ended') {
    // An ended meeting holds no media node any more; a later join is refused anyway.
    steps.push(['release media node assignment', async () => void (await redis.del(redisKeys.meetingNode(event.meetingId)))]);
  }
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      console.error(
        JSON.stringify({
          level: 'error',
          service: 'edge',
          msg: `${what} failed after commit`,
          meetingId: event.meetingId,
          eventType: event.type,
          err: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }
}

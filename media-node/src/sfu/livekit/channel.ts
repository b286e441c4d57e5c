import type { Redis } from 'ioredis';
import { z } from 'zod';
import { mediaStateSchema, redisKeys } from '@huddle/protocol';

// LiveKit facts for the nodes that have a meeting's room open, on the meeting's Redis
// channel (`meeting:{id}:events`). A webhook lands on any node; this is how its effect
// reaches the node holding the participant's signaling connection. Every node with the
// room open (the sender included) hands it to its SfuRoom (Room.onChannelMessage →
// SfuRoom.onChannelMessage).

/** Message type on the meeting channel. */
export const SFU_CHANNEL_TYPE = 'sfu.event';

export const livekitChannelEventSchema = z.discriminatedUnion('kind', [
  /** A user's LiveKit session started or ended. */
  z.object({ kind: z.literal('presence'), userId: z.uuid(), sid: z.string(), present: z.boolean() }),
  /** A user's published media changed. */
  z.object({ kind: z.literal('media'), userId: z.uuid(), change: mediaStateSchema.partial() }),
  /** The LiveKit room finished (empty timeout or deleted). */
  z.object({ kind: z.literal('roomFinished') }),
]);
export type LivekitChannelEvent = z.infer<typeof livekitChannelEventSchema>;

export const sfuChannelMessageSchema = z.object({
  type: z.literal(SFU_CHANNEL_TYPE),
  meetingId: z.uuid(),
  event: livekitChannelEventSchema,
});

/** Publishes one event to every node that has the meeting's room open. */
export async function publishLivekitEvent(redis: Redis, meetingId: string, event: LivekitChannelEvent): Promise<void> {
  await redis.publish(redisKeys.meetingEvents(meetingId), JSON.stringify({ type: SFU_CHANNEL_TYPE, meetingId, event }));
}

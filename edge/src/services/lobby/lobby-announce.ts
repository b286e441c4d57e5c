import type { Redis } from '@upstash/redis/cloudflare';
import { lobbyEntrantOf, redisKeys, type LobbyEvent, type LobbyNotification, type LobbyTicketRecord } from '@huddle/protocol';

/** Shortest interval between two `lobby.count` messages of one meeting, in ms. */
export const COUNT_INTERVAL_MS = 1_000;

/** Publishes a lobby notification on the meeting's channel (every node hands it to its hosts and cohosts). */
export async function publishLobbyEvent(redis: Redis, meetingId: string, notification: LobbyNotification): Promise<void> {
  const event: LobbyEvent = { type: 'lobby.event', meetingId, notification };
  await redis.publish(redisKeys.meetingEvents(meetingId), JSON.stringify(event));
}

/**
 * Tells hosts about a new knock: one by one within the meeting's per-minute budget
 * (`suppressed` = 0), else only as a `lobby.count`, at most one per COUNT_INTERVAL_MS —
 * a flood reaches hosts as a counter, never as a flood.
 */
export async function announceKnock(
  redis: Redis,
  knock: { meetingId: string; ticketId: string; record: LobbyTicketRecord; waiting: number; suppressed: number },
): Promise<void> {
  const { meetingId } = knock;
  if (knock.suppressed === 0) {
    await publishLobbyEvent(redis, meetingId, {
      method: 'lobby.knock',
      data: { entrant: lobbyEntrantOf(knock.ticketId, knock.record), waiting: knock.waiting },
    });
    return;
  }
  const open = await redis.set(redisKeys.lobbyCountGate(meetingId), '1', { nx: true, px: COUNT_INTERVAL_MS });
  if (open === 'OK') {
    await publishLobbyEvent(redis, meetingId, {
      method: 'lobby.count',
      data: { waiting: knock.waiting, suppressed: knock.suppressed },
    });
  }
}

/** Tells hosts that entrants left the lobby (gave up, stopped waiting, or expired). */
export async function announceLeft(redis: Redis, meetingId: string, ticketIds: readonly string[], waiting: number): Promise<void> {
  for (const ticketId of ticketIds) {
    await publishLobbyEvent(redis, meetingId, { method: 'lobby.resolved', data: { ticketId, outcome: 'left', waiting } });
  }
}

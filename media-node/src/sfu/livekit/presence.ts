// How LiveKit presence joins signaling presence (the rule, used by webhooks and the
// observer alike):
//
// A participant is in the meeting while connected through signaling OR to the LiveKit
// room. The meeting's roster (`meeting:{id}:roster`, one field per user) is owned by the
// user's signaling connection while there is one, else by their LiveKit connection
// (`livekit:<participant sid>`). So:
//   - LiveKit join, no roster entry    → a LiveKit-owned entry, Postgres `joined`,
//                                        `participant.joined` to the meeting;
//   - LiveKit join, entry exists       → nothing (already in the meeting);
//   - LiveKit leave                    → only a LiveKit-owned entry of that sid is removed
//                                        (`left` in Postgres, `participant.left`);
//   - signaling leave, still in LiveKit → the entry passes to the LiveKit connection, no
//                                        `participant.left` (see Room.removePeer);
//   - media changes (published, unpublished, muted) of a signaling-owned participant are
//     applied by the node holding that connection (SfuRoomEvents.mediaChanged, via the
//     meeting channel); of a LiveKit-only participant, here, on the roster entry.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database } from '@huddle/db';
import { redisKeys, type MediaState, type Participant, type RoomRelay, type SignalingNotification } from '@huddle/protocol';
import { markJoined, markLeft } from '../../stores/participants.ts';
import type { Roster } from '../../stores/roster.ts';

/** What presence updates need: the node's shared clients. */
export interface PresenceDeps {
  redis: Redis;
  db: Database;
  roster: Roster;
  /** This node's id: LiveKit-only entries name the node that recorded them (a live node). */
  nodeId: string;
  log: Logger;
  /** Takes a refused participant out of the LiveKit room (SfuEngine.disconnect). */
  refuse?: (meetingId: string, userId: string) => Promise<void>;
}

/** The `origin` of relays made for LiveKit events: no node takes it for its own, so every node delivers them. */
export const LIVEKIT_RELAY_ORIGIN = 'livekit';

/** The roster connection id of a LiveKit participant session. */
export const livekitConnectionId = (participantSid: string): string => `livekit:${participantSid}`;

/** True for roster entries owned by a LiveKit connection. */
export const isLivekitConnection = (connectionId: string): boolean => connectionId.startsWith('livekit:');

/** A participant as LiveKit reports it (webhook ParticipantInfo or the observer). */
export interface LivekitParticipantFacts {
  userId: string;
  sid: string;
  name: string;
  role: Participant['role'];
  media: MediaState;
  /** The join token's `sid` attribute: the login session it is bound to. */
  sessionId?: string | undefined;
  /** The join token's `invitedAt` attribute (ms): the invitation it was minted for. */
  invitedAtMs?: number | undefined;
}

/** Delivers a notification to the local peers of every node that has the meeting's room open. */
export async function relayToMeeting(redis: Redis, meetingId: string, notification: SignalingNotification): Promise<void> {
  const relay: RoomRelay = { type: 'room.relay', meetingId, origin: LIVEKIT_RELAY_ORIGIN, notification };
  await redis.publish(redisKeys.meetingEvents(meetingId), JSON.stringify(relay));
}

/**
 * A LiveKit participant joined (see the rule above). True when they entered the meeting
 * through LiveKit. Someone whose token is no longer honoured — session ended, removed,
 * re-invited since, declined, meeting over (the signaling admission rule) — is not
 * recorded and is taken out of the LiveKit room (`refuse`).
 */
export async function livekitJoined(deps: PresenceDeps, meetingId: string, p: LivekitParticipantFacts): Promise<boolean> {
  // In the meeting through signaling already (admitted there).
  if (await deps.roster.entry(meetingId, p.userId)) return false;
  const sessionLive = p.sessionId !== undefined && (await deps.redis.exists(redisKeys.session(p.sessionId))) === 1;
  if (!sessionLive || p.invitedAtMs === undefined || !(await markJoined(deps, meetingId, p.userId, p.invitedAtMs))) {
    deps.log.warn({ meetingId, userId: p.userId }, 'refused a LiveKit participant whose join token is no longer honoured');
    await deps.refuse?.(meetingId, p.userId);
    return false;
  }
  const participant: Participant = {
    userId: p.userId,
    name: p.name || p.userId,
    role: p.role,
    nodeId: deps.nodeId,
    media: p.media,
    handRaised: false,
    joinedAt: new Date().toISOString(),
  };
  await deps.roster.put(meetingId, livekitConnectionId(p.sid), participant);
  await relayToMeeting(deps.redis, meetingId, { method: 'participant.joined', data: { participant } });
  deps.log.info({ meetingId, userId: p.userId }, 'participant joined through LiveKit');
  return true;
}

/** A LiveKit participant session ended. True when that took them out of the meeting. */
export async function livekitLeft(deps: PresenceDeps, meetingId: string, userId: string, sid: string): Promise<boolean> {
  if (!(await deps.roster.remove(meetingId, userId, livekitConnectionId(sid)))) return false;
  await markLeft(deps, meetingId, [userId]);
  await relayToMeeting(deps.redis, meetingId, { method: 'participant.left', data: { userId, reason: 'disconnected' } });
  deps.log.info({ meetingId, userId }, 'participant left through LiveKit');
  return true;
}

/**
 * A media change of a LiveKit-only participant: merged into their roster entry and
 * announced. False (nothing done) when the user's entry belongs to a signaling connection.
 */
export async function livekitMediaChanged(deps: PresenceDeps, meetingId: string, userId: string, change: Partial<MediaState>): Promise<boolean> {
  const entry = await deps.roster.entry(meetingId, userId);
  if (!entry || !isLivekitConnection(entry.connectionId)) return false;
  const current = entry.participant;
  const media: MediaState = { ...current.media, ...change };
  if (media.audio === current.media.audio && media.video === current.media.video && media.screen === current.media.screen) return true;
  const participant = { ...current, media };
  await deps.roster.put(meetingId, entry.connectionId, participant);
  await relayToMeeting(deps.redis, meetingId, { method: 'participant.updated', data: { participant } });
  return true;
}

/** Everyone who is in the meeting only through LiveKit leaves (the LiveKit room finished). */
export async function livekitRoomFinished(deps: PresenceDeps, meetingId: string): Promise<void> {
  for (const entry of await deps.roster.entries(meetingId)) {
    if (isLivekitConnection(entry.connectionId)) {
      await livekitLeft(deps, meetingId, entry.participant.userId, entry.connectionId.slice('livekit:'.length));
    }
  }
}

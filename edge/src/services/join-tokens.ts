import { AccessToken } from 'livekit-server-sdk';
import { meetingRoomName } from '@huddle/protocol';
import type { ParticipantRole } from '@huddle/db';
import type { EdgeConfig } from '../config.ts';
import { canModerate } from './meeting-access.ts';

/** Who a join token is for. */
export interface JoinTokenSubject {
  userId: string;
  /** Shown to other participants. */
  displayName: string;
  meetingId: string;
  role: ParticipantRole;
}

/**
 * Mints a LiveKit-format access token (HS256 with the LiveKit API key/secret) for one
 * meeting's room, valid for config.joinTokenTtlSeconds. Every participant may publish
 * audio/video/data and subscribe; hosts and cohosts also get `roomAdmin` (mute, remove).
 * The role travels as the participant attribute `role`. The media node (and a LiveKit
 * server) verifies it with the same key and secret.
 */
export async function mintJoinToken(config: EdgeConfig, subject: JoinTokenSubject): Promise<string> {
  const token = new AccessToken(config.livekit.apiKey, config.livekit.apiSecret, {
    identity: subject.userId,
    name: subject.displayName,
    ttl: config.joinTokenTtlSeconds,
    attributes: { role: subject.role },
  });
  token.addGrant({
    room: meetingRoomName(subject.meetingId),
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
    roomAdmin: canModerate(subject.role),
  });
  return token.toJwt();
}

import { AccessToken } from 'livekit-server-sdk';
import { meetingRoomName, type JoinTokenAttributes } from '@huddle/protocol';
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
  /** The login session minting it: logout or refresh-token reuse revokes the token too. */
  sessionId: string;
  /** The participant row's invited_at: a removal followed by a new invitation voids older tokens. */
  invitedAt: Date;
}

/**
 * Mints a LiveKit-format access token (HS256 with the LiveKit API key/secret) for one
 * meeting's room, valid for config.joinTokenTtlSeconds. Every participant may publish
 * audio/video/data and subscribe; hosts and cohosts also get `roomAdmin` (mute, remove).
 * The participant attributes carry `role`, the session id `sid` and `invitedAt` (ms)
 * (protocol's joinTokenAttributesSchema); the media node admits the token only while
 * that session lives and that invitation stands. A LiveKit server accepts the same
 * token unchanged (attributes are plain strings).
 */
export async function mintJoinToken(config: EdgeConfig, subject: JoinTokenSubject): Promise<string> {
  const token = new AccessToken(config.livekit.apiKey, config.livekit.apiSecret, {
    identity: subject.userId,
    name: subject.displayName,
    ttl: config.joinTokenTtlSeconds,
    attributes: {
      role: subject.role,
      sid: subject.sessionId,
      invitedAt: String(subject.invitedAt.getTime()),
    } satisfies JoinTokenAttributes,
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

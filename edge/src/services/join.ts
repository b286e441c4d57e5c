import { eq } from 'drizzle-orm';
import { findMembership, users, type Database, type Membership } from '@huddle/db';
import type { MediaBackend } from '@huddle/protocol';
import type { RequestDeps } from '../env.ts';
import { conflict, forbidden, notFound } from '../lib/api-error.ts';
import { mintJoinToken, type JoinTokenSubject } from './join-tokens.ts';
import { participantRemoved } from './meeting-guards.ts';
import { placeMeeting } from './media-nodes.ts';

/** Where and with what a participant connects to a meeting's media. */
export interface JoinGrant {
  /** SFU implementation of the node (`mediasoup` or `livekit`). */
  backend: MediaBackend;
  /** Base WebSocket URL of the node (connect to `{url}/ws?access_token={token}` for mediasoup). */
  url: string;
  /** LiveKit-format access token for the meeting's room. */
  token: string;
  /** `livekit` nodes: the LiveKit server URL for media (the same token works there). */
  livekitUrl?: string;
}

/**
 * The caller's membership of a meeting they may act in. Unknown meetings and meetings
 * the caller is not in are both 404, as for GET /meetings/{id}: ids of other people's
 * meetings are not revealed. A participant who declined gets 403 `forbidden`, one who
 * was removed 403 `participant_removed`.
 */
export async function requireParticipant(db: Database, meetingId: string, userId: string): Promise<Membership> {
  const membership = await findMembership(db, meetingId, userId);
  if (!membership) throw notFound('No such meeting.');
  if (membership.participantStatus === 'removed') throw participantRemoved();
  if (membership.participantStatus === 'declined') {
    throw forbidden('You declined this meeting; ask the host for a new invitation.');
  }
  return membership;
}

/**
 * `POST /meetings/{id}/join`: checks that the caller may join (participant, not removed,
 * meeting not ended or cancelled), places the meeting on a media node and mints the
 * token, bound to the caller's login session (`sessionId`) and invitation.
 * Joining a scheduled meeting is allowed (people arrive before the host starts it).
 * A guest (`guestMeetingId` set) reaches its own meeting only: any other id is 404,
 * as unknown as any meeting one is not in.
 */
export async function joinMeeting(
  deps: RequestDeps,
  meetingId: string,
  caller: { userId: string; sessionId: string; guestMeetingId?: string | undefined },
): Promise<JoinGrant> {
  const { userId } = caller;
  if (caller.guestMeetingId !== undefined && caller.guestMeetingId !== meetingId) throw notFound('No such meeting.');
  const { db } = deps.db();
  // Both queries go out on the request's single connection, pipelined.
  const [membership, displayName] = await Promise.all([
    requireParticipant(db, meetingId, userId),
    findDisplayName(db, userId),
  ]);
  if (membership.meetingStatus === 'ended' || membership.meetingStatus === 'cancelled') {
    throw conflict(`meeting_${membership.meetingStatus}`, `The meeting has ${membership.meetingStatus === 'ended' ? 'ended' : 'been cancelled'}.`);
  }
  return issueJoinGrant(deps, {
    userId,
    displayName: displayName ?? userId,
    meetingId,
    role: membership.role,
    sessionId: caller.sessionId,
    invitedAt: membership.invitedAt,
  });
}

/**
 * The grant of someone already allowed in (joinMeeting, link entry): places the meeting
 * on a media node (sticky) and mints the join token, bound to the caller's session and
 * invitation. 503 `no_media_node` when none is live.
 */
export async function issueJoinGrant(deps: RequestDeps, subject: JoinTokenSubject): Promise<JoinGrant> {
  const node = await placeMeeting({ redis: deps.redis, prefix: deps.config.mediaNodeRegistryPrefix }, subject.meetingId);
  const token = await mintJoinToken(deps.config, subject);
  return { backend: node.backend, url: node.url, token, ...(node.livekitUrl ? { livekitUrl: node.livekitUrl } : {}) };
}

/** The user's full name, else their username (undefined if the user is gone). */
async function findDisplayName(db: Database, userId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ username: users.username, fullName: users.fullName })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row ? (row.fullName ?? row.username) : undefined;
}

import type { TokenVerifier } from 'livekit-server-sdk';
import { z } from 'zod';
import { joinTokenAttributesSchema, meetingIdFromRoom, SIGNALING_CLOSE_CODES } from '@huddle/protocol';
import type { ParticipantRole } from '@huddle/db';

/** Who a verified join token admits, and to which meeting. */
export interface JoinIdentity {
  userId: string;
  /** Display name (the token's `name`, else the user id). */
  name: string;
  meetingId: string;
  role: ParticipantRole;
  /** Host or cohost: may mute and remove participants. */
  roomAdmin: boolean;
  /** The login session that minted the token: the token dies with it. */
  sessionId: string;
  /** The participant row's invited_at the token was minted for, in ms since the epoch. */
  invitedAtMs: number;
}

/** Outcome of checking a token: the identity, or the close code and reason to refuse with. */
export type JoinTokenResult =
  | { ok: true; identity: JoinIdentity; expiresAtSeconds: number }
  | { ok: false; closeCode: number; reason: string };

const claimsSchema = z.object({
  sub: z.uuid(),
  name: z.string().optional(),
  exp: z.number(),
  video: z.object({
    room: z.string(),
    roomJoin: z.literal(true),
    roomAdmin: z.boolean().optional(),
  }),
  attributes: z.record(z.string(), z.string()).optional(),
});

/**
 * Verifies a LiveKit-format join token (as minted by the edge) with livekit-server-sdk:
 * signature and issuer (API key/secret), expiry (4401), a join grant for a Huddle
 * meeting room (4003 for any other room), and the attributes that bind it to a login
 * session and an invitation (`role`, `sid`, `invitedAt`; 4001 without them). Session
 * and membership are checked separately (Redis, Postgres: admission.ts).
 */
export async function verifyJoinToken(verifier: TokenVerifier, token: string | undefined): Promise<JoinTokenResult> {
  if (!token) return { ok: false, closeCode: SIGNALING_CLOSE_CODES.invalidToken, reason: 'missing access_token' };
  let payload: unknown;
  try {
    payload = await verifier.verify(token);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, closeCode: SIGNALING_CLOSE_CODES.expiredToken, reason: 'token expired' };
    return { ok: false, closeCode: SIGNALING_CLOSE_CODES.invalidToken, reason: 'invalid token' };
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    return { ok: false, closeCode: SIGNALING_CLOSE_CODES.invalidToken, reason: 'token has no room join grant' };
  }
  const c = claims.data;
  const meetingId = meetingIdFromRoom(c.video.room);
  if (!meetingId) return { ok: false, closeCode: SIGNALING_CLOSE_CODES.forbidden, reason: 'not a meeting room' };
  const attributes = joinTokenAttributesSchema.safeParse(c.attributes ?? {});
  if (!attributes.success) {
    return { ok: false, closeCode: SIGNALING_CLOSE_CODES.invalidToken, reason: 'token is not bound to a session; join again' };
  }
  const { role, sid, invitedAt } = attributes.data;
  return {
    ok: true,
    expiresAtSeconds: c.exp,
    identity: {
      userId: c.sub.toLowerCase(),
      name: c.name ?? c.sub,
      meetingId: meetingId.toLowerCase(),
      role,
      // Both must agree: an attendee's or a guest's token never moderates even if a grant says so.
      roomAdmin: c.video.roomAdmin === true && (role === 'host' || role === 'cohost'),
      sessionId: sid,
      invitedAtMs: Number(invitedAt),
    },
  };
}

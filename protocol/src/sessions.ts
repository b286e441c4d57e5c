import { z } from 'zod';
import { parseJsonWith } from './json.ts';

// Login sessions across deployables. A session is `session:{sid}` in Redis (the edge
// writes it at login, rotates it on refresh, deletes it on logout or refresh-token
// reuse). Access tokens carry `sid` as a claim; join tokens carry it as the participant
// attribute `sid` (see joinTokenAttributesSchema), so every token of a login dies with
// its session. When the edge revokes a session it also publishes `session.revoked` on
// `session_events` (redisKeys.sessionEvents): media nodes close that session's sockets
// at once instead of waiting for the next check.

/** Why a session was revoked. */
export const sessionRevokeReasonValues = ['logout', 'refresh_token_reused', 'account_disabled'] as const;
export type SessionRevokeReason = (typeof sessionRevokeReasonValues)[number];

/** A session id: 128 random bits, base64url (the first half of a refresh token). */
export const sessionIdSchema = z.string().min(16).max(64).regex(/^[A-Za-z0-9_-]+$/);

/** `session.revoked`, published after the session key is gone. */
export const sessionEventSchema = z.object({
  type: z.literal('session.revoked'),
  sessionId: sessionIdSchema,
  /** The session's user, when the edge knows it. */
  userId: z.uuid().optional(),
  reason: z.enum(sessionRevokeReasonValues),
  /** When it was revoked (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
});
export type SessionEvent = z.infer<typeof sessionEventSchema>;

/** Parses a `session_events` message; undefined when it is not one. */
export function parseSessionEvent(message: unknown): SessionEvent | undefined {
  return parseJsonWith(sessionEventSchema, message);
}

/**
 * The participant attributes of a join token (LiveKit `attributes`, strings only, so a
 * LiveKit server accepts the token as it is). Other participants of a LiveKit room can
 * read attributes: nothing here is a credential (a session id alone refreshes nothing;
 * that needs the refresh secret).
 * - `role`: host | cohost | attendee | guest.
 * - `sid`: the login session that minted the token (a guest's: its guest session); the token dies with it.
 * - `invitedAt`: the participant row's invited_at in ms since the epoch. A re-invitation
 *   (after a removal) stamps a new one, so tokens minted before the removal stay dead.
 */
export const joinTokenAttributesSchema = z.object({
  role: z.enum(['host', 'cohost', 'attendee', 'guest']),
  sid: sessionIdSchema,
  invitedAt: z.string().regex(/^\d{1,15}$/, 'must be milliseconds since the epoch'),
});
export type JoinTokenAttributes = z.infer<typeof joinTokenAttributesSchema>;

import { z } from 'zod';

/** `iss` and `aud` of Huddle access tokens (HS256, signed by the edge with JWT_SECRET). */
export const ACCESS_TOKEN_ISSUER = 'huddle-edge';
export const ACCESS_TOKEN_AUDIENCE = 'huddle-api';

/**
 * Claims of an access token. `sid` names the login session (one refresh-token
 * family); the token is valid only while `session:{sid}` exists in Redis, so
 * logout and refresh-token reuse revoke it at once. The media node verifies the
 * same token for HTTP history reads.
 */
export const accessTokenClaimsSchema = z.object({
  sub: z.uuid(),
  sid: z.string().min(16).max(64),
  typ: z.literal('access'),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** Password length bounds, in characters (UTF-16 code units, as JavaScript counts them). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** The LiveKit/SFU room of a meeting: the same name on every backend. */
export function meetingRoomName(meetingId: string): string {
  return `meeting-${meetingId}`;
}

/** The meeting id of a room name, or undefined when it is not a Huddle room. */
export function meetingIdFromRoom(room: string): string | undefined {
  const id = room.startsWith('meeting-') ? room.slice('meeting-'.length) : '';
  return z.uuid().safeParse(id).success ? id : undefined;
}

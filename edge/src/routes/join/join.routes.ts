import { createRoute, z } from '@hono/zod-openapi';
import { mediaBackendValues } from '@huddle/protocol';
import { errorResponses, jsonResponse } from '../../lib/openapi.ts';
import { requireUserOrGuest } from '../../middleware/link-caller.ts';

const joinParams = z.object({
  id: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .openapi({ param: { name: 'id', in: 'path' }, example: '0b8f6a52-3f0e-4d57-9b7e-2f6f1c7d9a10' }),
});

export const joinGrantSchema = z
  .object({
    backend: z.enum(mediaBackendValues).openapi({ description: 'SFU implementation of the assigned media node' }),
    url: z.string().openapi({ description: 'WebSocket base URL of the media node', example: 'wss://media-1.example.com' }),
    token: z.string().openapi({ description: 'LiveKit-format access token for the meeting room (short-lived, bound to this login session)' }),
    livekitUrl: z
      .string()
      .optional()
      .openapi({
        description: '`livekit` meetings: the LiveKit server URL for media (connect livekit-client with the same token); signaling stays on `url`',
        example: 'wss://livekit.example.com',
      }),
  })
  .openapi('JoinGrant');

export const joinRoute = createRoute({
  method: 'post',
  path: '/{id}/join',
  tags: ['meetings'],
  summary: 'Join a meeting: the media node to connect to and a signaling token',
  description:
    'Participants only: a signed-in user (access token), or a guest (guest token from link entry) for its own meeting. ' +
    'Unknown meetings and meetings the caller is not in are 404; a declined invitation is 403; ' +
    'a participant removed by the host is 403 `participant_removed` until invited again; ' +
    'an ended or cancelled meeting is 409. The meeting stays on one media node; 503 `no_media_node` (with Retry-After) ' +
    'when none is live. The token is bound to the caller\'s login session and invitation (participant attributes `sid` ' +
    'and `invitedAt`): logout, refresh-token reuse or a removal voids it on every media node at once.',
  security: [{ bearer: [] }],
  middleware: [requireUserOrGuest] as const,
  request: { params: joinParams },
  responses: {
    200: jsonResponse(joinGrantSchema, 'Where to connect, and the token'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

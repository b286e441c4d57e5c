import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonContent, jsonResponse } from '../../lib/openapi.ts';
import { authenticate, requireAuth, type AuthPrefetch } from '../../middleware/auth.ts';
import { startCachedMeetingRead } from '../../services/meeting-cache.ts';
import { MEETING_PARTICIPANTS_MAX } from '../../services/meeting-invitees.ts';
import {
  createMeetingBody,
  invitationBody,
  invitationResultSchema,
  listMeetingsQuery,
  meetingIdParams,
  meetingPageSchema,
  meetingSchema,
  updateMeetingBody,
} from './meetings.schemas.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET /{id}: start the cache read with the session check; non-UUIDs are left to validation. */
const prefetchCachedMeeting: AuthPrefetch = (c) => {
  const id = c.req.param('id');
  if (id && uuidPattern.test(id)) c.set('meetingPrefetch', startCachedMeetingRead(c.var.deps.redis, id.toLowerCase()));
};

const common = {
  tags: ['meetings'],
  security: [{ bearer: [] }],
  middleware: [requireAuth],
};

export const createMeetingRoute = createRoute({
  ...common,
  method: 'post',
  path: '/',
  summary: 'Create a meeting with its host (the caller) and invitees, in one transaction',
  description:
    'Every invited id must name an existing active user; otherwise 400 `unknown_users` with `details.unknownUserIds` and nothing is written.',
  request: { body: { ...jsonContent(createMeetingBody, 'The meeting'), required: true } },
  responses: {
    201: jsonResponse(meetingSchema, 'Created'),
    ...errorResponses(400, 401, 413, 415, 503),
  },
});

export const listMeetingsRoute = createRoute({
  ...common,
  method: 'get',
  path: '/',
  summary: "The caller's meetings, newest start time first (keyset pagination)",
  request: { query: listMeetingsQuery },
  responses: {
    200: jsonResponse(meetingPageSchema, 'One page; pass nextCursor as cursor for the next'),
    ...errorResponses(400, 401, 503),
  },
});

export const getMeetingRoute = createRoute({
  ...common,
  // The hot read: session check and cached meeting in one Redis round trip.
  middleware: [authenticate(prefetchCachedMeeting)],
  method: 'get',
  path: '/{id}',
  summary: 'A meeting with its participants (participants only)',
  description: 'A participant removed by the host gets 403 `participant_removed` until invited again.',
  request: { params: meetingIdParams },
  responses: {
    200: jsonResponse(meetingSchema, 'The meeting'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

export const updateMeetingRoute = createRoute({
  ...common,
  method: 'patch',
  path: '/{id}',
  summary: 'Change title, start time, duration or settings (host only)',
  description: 'Not for ended or cancelled meetings; the start time only while scheduled (409 `invalid_state`).',
  request: { params: meetingIdParams, body: { ...jsonContent(updateMeetingBody, 'Fields to change'), required: true } },
  responses: {
    200: jsonResponse(meetingSchema, 'The updated meeting'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

export const inviteRoute = createRoute({
  ...common,
  method: 'post',
  path: '/{id}/invitations',
  summary: 'Invite users (host or cohost); users already in the meeting are skipped',
  description:
    'Every id must name an active user (400 `unknown_users` with `details.unknownUserIds`, nothing written). ' +
    'Ended and cancelled meetings take no invitations (409 `invalid_state`); a meeting has at most ' +
    `${MEETING_PARTICIPANTS_MAX} participants (409 \`participant_limit\`).`,
  request: { params: meetingIdParams, body: { ...jsonContent(invitationBody, 'Who to invite'), required: true } },
  responses: {
    200: jsonResponse(invitationResultSchema, 'Everyone in the meeting now'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

export const startMeetingRoute = createRoute({
  ...common,
  method: 'post',
  path: '/{id}/start',
  summary: 'Start a scheduled meeting (host only)',
  description: 'Only a scheduled meeting starts (409 `invalid_transition` otherwise).',
  request: { params: meetingIdParams },
  responses: {
    200: jsonResponse(meetingSchema, 'The meeting, now ongoing'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

export const endMeetingRoute = createRoute({
  ...common,
  method: 'post',
  path: '/{id}/end',
  summary: 'End an ongoing meeting and record its statistics (host only)',
  description: 'Only an ongoing meeting ends (409 `invalid_transition` otherwise).',
  request: { params: meetingIdParams },
  responses: {
    200: jsonResponse(meetingSchema, 'The meeting, now ended'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

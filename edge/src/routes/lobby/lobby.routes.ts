import { createRoute } from '@hono/zod-openapi';
import { emptyResponse, errorResponses, jsonContent, jsonResponse } from '../../lib/openapi.ts';
import { optionalLinkCaller } from '../../middleware/link-caller.ts';
import {
  codeParams,
  entryBody,
  entryResultSchema,
  meetingPreviewSchema,
  ticketParams,
  ticketStatusSchema,
  waitQuery,
} from './lobby.schemas.ts';

// Anonymous callers (guests-to-be) are welcome; a token, when sent, must be valid.
const security: Record<string, string[]>[] = [{}, { bearer: [] }];

const common = {
  tags: ['link entry'],
  security,
  middleware: [optionalLinkCaller],
};

const limitsNote =
  'Every request counts against the caller’s address and the code (429 with Retry-After); every 404 counts against the ' +
  'address’s hourly miss budget, and an address without misses left gets 429 for every code until the window ends.';

export const previewRoute = createRoute({
  ...common,
  method: 'get',
  path: '/by-code/{code}',
  summary: 'What a link holder needs to decide: title, host, start time, whether a lobby applies',
  description:
    'Unknown codes, meetings that take no link entry (`invited`), and ended or cancelled meetings all answer the same 404. ' +
    `Never participants, never a meeting id. ${limitsNote}`,
  request: { params: codeParams },
  responses: {
    200: jsonResponse(meetingPreviewSchema, 'The meeting as a link holder sees it'),
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

export const entryRoute = createRoute({
  ...common,
  method: 'post',
  path: '/by-code/{code}/entry',
  summary: 'Enter with the link: the join grant, or a lobby ticket to wait on',
  description:
    'Participants, and signed-in users where the meeting has no lobby, get the join grant (200). Everyone else knocks (202): ' +
    'hosts and cohosts are told over signaling (`lobby.knock`), and the entrant waits on GET …/entry/{ticketId}. ' +
    'Without an Authorization header the caller enters as a guest: `displayName` is required and the answer carries ' +
    'guest credentials (`guest.token`), the only credential a guest has. ' +
    '401 `sign_in_required` (meeting takes signed-in users only); 403 `meeting_locked`; 403 `entry_blocked` with ' +
    '`details.retryAfterSeconds` and Retry-After (denied or removed recently); 429 `lobby_full` or `rate_limited`. ' +
    limitsNote,
  request: { params: codeParams, body: { ...jsonContent(entryBody, 'Who enters'), required: true } },
  responses: {
    200: jsonResponse(entryResultSchema, 'Admitted: the join grant'),
    202: jsonResponse(entryResultSchema, 'Waiting in the lobby: the ticket'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
  },
});

export const waitRoute = createRoute({
  ...common,
  method: 'get',
  path: '/by-code/{code}/entry/{ticketId}',
  summary: 'Wait on a lobby ticket (long-poll): the join grant once let in, or the denial',
  description:
    'Send the token you entered with (access token or guest token). Answers at once when the ticket is settled, else after ' +
    '`waitSeconds` with `waiting`; keep polling — an entrant who stops for the presence period leaves the lobby. ' +
    'Tickets are single-use: the poll that sees the admission makes the caller a participant and returns the grant; ' +
    'later polls get 409 `ticket_used` (join with POST /meetings/{id}/join). 409 `ticket_expired` after the longest wait, ' +
    '`ticket_closed` after leaving (or when the ticket goes away during the wait). An unknown ticket, or one of another ' +
    'meeting or caller, answers the same 404 as an unknown code and counts against the address\'s miss budget like one.',
  request: { params: ticketParams, query: waitQuery },
  responses: {
    200: jsonResponse(ticketStatusSchema, 'Where the ticket stands'),
    ...errorResponses(400, 401, 404, 409, 429, 503),
  },
});

export const leaveRoute = createRoute({
  ...common,
  method: 'delete',
  path: '/by-code/{code}/entry/{ticketId}',
  summary: 'Leave the lobby (give up waiting)',
  description:
    'Idempotent; hosts are told (`lobby.resolved`, outcome `left`). An unknown ticket, or one of another meeting or caller, ' +
    'answers the same 404 as an unknown code (a miss).',
  request: { params: ticketParams },
  responses: {
    204: emptyResponse('Left (or no longer waiting)'),
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

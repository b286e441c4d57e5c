import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../../lib/openapi.ts';
import { requireAuth } from '../../middleware/auth.ts';
import { USER_LOOKUP_LIMIT } from '../../services/user-lookup.ts';
import { userLookupQuery, userSchema, userSummarySchema } from './users.schemas.ts';

export const meRoute = createRoute({
  method: 'get',
  path: '/me',
  tags: ['users'],
  summary: 'The signed-in user',
  security: [{ bearer: [] }],
  middleware: [requireAuth] as const,
  responses: {
    200: jsonResponse(userSchema, 'The caller'),
    ...errorResponses(401, 503),
  },
});

export const lookupRoute = createRoute({
  method: 'get',
  path: '/lookup',
  tags: ['users'],
  summary: 'Find an active user by username or email (to invite them)',
  description:
    'Exact match, ignoring case; a value with `@` is an email, anything else a username. ' +
    'Answers the id, username and full name only (never the email). Unknown and disabled users are 404 `user_not_found`. ' +
    `At most ${USER_LOOKUP_LIMIT.limit} look-ups per ${USER_LOOKUP_LIMIT.windowSeconds} s per user (429 with Retry-After).`,
  security: [{ bearer: [] }],
  middleware: [requireAuth] as const,
  request: { query: userLookupQuery },
  responses: {
    200: jsonResponse(userSummarySchema, 'The user'),
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

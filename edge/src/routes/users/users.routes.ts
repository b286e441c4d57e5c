import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../../lib/openapi.ts';
import { requireAuth } from '../../middleware/auth.ts';
import { userSchema } from './users.schemas.ts';

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

import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonContent } from '../../lib/openapi.ts';
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
    200: jsonContent(userSchema, 'The caller'),
    ...errorResponses(401, 503),
  },
});

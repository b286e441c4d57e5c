import { createRoute, z } from '@hono/zod-openapi';
import { aiTaskRequestSchema } from '@huddle/protocol';
import { errorResponses, jsonContent, jsonResponse } from '../../lib/openapi.ts';
import { requireAuth } from '../../middleware/auth.ts';

const taskAccepted = z.object({ taskId: z.uuid() }).openapi('AiTaskAccepted');

export const createTaskRoute = createRoute({
  method: 'post',
  path: '/tasks',
  tags: ['ai'],
  summary: 'Queue an AI task for a meeting',
  description:
    'Participants only (404 for meetings the caller is not in, 403 after declining). Audio is base64 and decodes ' +
    'to at most 512 KiB; sentiment text is at most 10,000 characters. After a meeting ended only `summary` and ' +
    '`sentiment` are accepted (409 `meeting_ended` otherwise); a cancelled meeting takes none. Results arrive ' +
    'asynchronously (live to the room, and in the media node\'s insights history) under the returned taskId. ' +
    'Rate limit: `AI_TASKS_PER_MINUTE` (default 120) queued tasks per user per minute (429 with Retry-After); only ' +
    'tasks that would be queued count, so a request refused with 403, 404 or 409 costs nothing.',
  security: [{ bearer: [] }],
  middleware: [requireAuth] as const,
  request: { body: { ...jsonContent(aiTaskRequestSchema, 'The task'), required: true } },
  responses: {
    202: jsonResponse(taskAccepted, 'Queued'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
  },
});

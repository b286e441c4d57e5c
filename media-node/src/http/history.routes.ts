import { Hono } from 'hono';
import { z } from 'zod';
import { SIGNALING_LIMITS, chatCursorSchema } from '@huddle/protocol';
import { InvalidCursorError, type ChatStore } from '../stores/chat-store.ts';
import { authorizeHistory, type HistoryAuthDeps } from './auth.ts';

const querySchema = z.object({
  before: chatCursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(SIGNALING_LIMITS.chatHistoryLimitMax).default(SIGNALING_LIMITS.chatHistoryLimitDefault),
});

const errorBody = (code: string, message: string, details?: unknown) => ({ error: { code, message, ...(details ? { details } : {}) } });

/**
 * GET /api/v1/meetings/{id}/chat?before=&limit= — chat history (newest first) for clients
 * that are not connected, authorised by `Authorization: Bearer <access JWT or join token>`.
 */
export function historyRoutes(deps: HistoryAuthDeps & { chat: ChatStore }): Hono {
  return new Hono().get('/api/v1/meetings/:id/chat', async (c) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    if (!id.success) return c.json(errorBody('not_found', 'No such meeting.'), 404);
    const meetingId = id.data.toLowerCase();
    const query = querySchema.safeParse(c.req.query());
    if (!query.success) {
      const details = query.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
      return c.json(errorBody('validation_failed', 'Invalid query.', details), 400);
    }
    const header = c.req.header('authorization');
    const token = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
    const access = await authorizeHistory(deps, token, meetingId);
    if (!access.ok) return c.json(errorBody(access.code, access.message), access.status);
    try {
      return c.json(await deps.chat.history(meetingId, { before: query.data.before, limit: query.data.limit }));
    } catch (error) {
      if (error instanceof InvalidCursorError) return c.json(errorBody('validation_failed', error.message), 400);
      throw error;
    }
  });
}

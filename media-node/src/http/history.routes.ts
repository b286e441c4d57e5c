import { Hono, type Context } from 'hono';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { SIGNALING_LIMITS, aiTaskTypeValues, chatCursorSchema } from '@huddle/protocol';
import { listInsights } from '../ai/results-store.ts';
import { listTranscript } from '../captions/transcript-store.ts';
import { InvalidCursorError, type ChatStore } from '../stores/chat-store.ts';
import { authorizeHistory, type HistoryAuthDeps } from './auth.ts';

const querySchema = z.object({
  before: chatCursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(SIGNALING_LIMITS.chatHistoryLimitMax).default(SIGNALING_LIMITS.chatHistoryLimitDefault),
});

const insightsQuerySchema = z.object({
  type: z.enum(aiTaskTypeValues).optional(),
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `after` of a transcript page: `{startMs}_{caption id}` from the previous page's `next`. */
const transcriptQuerySchema = z.object({
  after: z
    .string()
    .regex(/^\d{1,12}_[0-9a-f-]{36}$/i, 'must be the `next` value of the previous page')
    .transform((v) => ({ startMs: Number(v.slice(0, v.indexOf('_'))), id: v.slice(v.indexOf('_') + 1).toLowerCase() }))
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

const errorBody = (code: string, message: string, details?: unknown) => ({ error: { code, message, ...(details ? { details } : {}) } });

/**
 * History for clients that are not connected, authorised by `Authorization: Bearer
 * <access JWT or join token>` of a participant:
 * GET /api/v1/meetings/{id}/chat?before=&limit= — chat messages, newest first;
 * GET /api/v1/meetings/{id}/insights?type=&before=&limit= — AI results, newest first;
 * GET /api/v1/meetings/{id}/transcript?after=&limit= — captions in the order they were
 * spoken (meeting time), `{ items: Caption[], next }`; pass `next` as `after` for more.
 */
export function historyRoutes(deps: HistoryAuthDeps & { chat: ChatStore; insights: Db }): Hono {
  return new Hono()
    .get('/api/v1/meetings/:id/transcript', async (c) => {
      const req = await admit(c, deps, transcriptQuerySchema);
      if (!req.ok) return req.response;
      const page = await listTranscript(deps.insights, req.meetingId, req.query);
      return c.json({ items: page.items, next: page.next ? `${page.next.startMs}_${page.next.id}` : null });
    })
    .get('/api/v1/meetings/:id/insights', async (c) => {
      const req = await admit(c, deps, insightsQuerySchema);
      if (!req.ok) return req.response;
      const { type, before, limit } = req.query;
      const items = await listInsights(deps.insights, req.meetingId, {
        type,
        limit,
        before: before === undefined ? undefined : new Date(before),
      });
      return c.json({ items });
    })
    .get('/api/v1/meetings/:id/chat', async (c) => {
      const req = await admit(c, deps, querySchema);
      if (!req.ok) return req.response;
      try {
        return c.json(await deps.chat.history(req.meetingId, { before: req.query.before, limit: req.query.limit }));
      } catch (error) {
        if (error instanceof InvalidCursorError) return c.json(errorBody('validation_failed', error.message), 400);
        throw error;
      }
    });
}

/**
 * The checks every history read shares, in order: the meeting id (404 when it is not a
 * UUID), the query (400 naming the fields), then the caller (401/404 from authorizeHistory).
 */
async function admit<S extends z.ZodType>(
  c: Context,
  deps: HistoryAuthDeps,
  schema: S,
): Promise<{ ok: true; meetingId: string; query: z.output<S> } | { ok: false; response: Response }> {
  const id = z.uuid().safeParse(c.req.param('id'));
  if (!id.success) return { ok: false, response: c.json(errorBody('not_found', 'No such meeting.'), 404) };
  const meetingId = id.data.toLowerCase();
  const query = schema.safeParse(c.req.query());
  if (!query.success) {
    const details = query.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    return { ok: false, response: c.json(errorBody('validation_failed', 'Invalid query.', details), 400) };
  }
  const access = await authorizeHistory(deps, bearerToken(c.req.header('authorization')), meetingId);
  if (!access.ok) return { ok: false, response: c.json(errorBody(access.code, access.message), access.status) };
  return { ok: true, meetingId, query: query.data };
}

function bearerToken(header: string | undefined): string | undefined {
  return header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

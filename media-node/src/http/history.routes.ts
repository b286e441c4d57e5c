import { createRoute, z } from '@hono/zod-openapi';
import type { Db } from 'mongodb';
import {
  aiResultSchemas,
  aiTaskTypeValues,
  captionSchema,
  chatMessageSchema,
  queryInteger,
  SIGNALING_LIMITS,
  type AiTaskType,
} from '@huddle/protocol';
import { listInsights } from '../ai/results-store.ts';
import { listTranscript } from '../captions/transcript-store.ts';
import { CHAT_CURSOR_PATTERN, InvalidCursorError, type ChatStore } from '../stores/chat-store.ts';
import { authorizeHistory, type HistoryAuthDeps } from './auth.ts';
import { createRouter, errorBody, errorResponses, jsonResponse } from './openapi.ts';

const meetingParams = z.object({
  id: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .openapi({ param: { name: 'id', in: 'path' }, example: '0b5d8a4e-4a9e-4cf2-9d35-0a1f7f2c9a11' }),
});

const chatQuery = z.object({
  before: z
    .string()
    .regex(CHAT_CURSOR_PATTERN, 'is not a history cursor')
    .optional()
    .openapi({ description: '`nextCursor` of the previous page (or a message\'s `cursor`): older messages only' }),
  limit: queryInteger(1, SIGNALING_LIMITS.chatHistoryLimitMax, SIGNALING_LIMITS.chatHistoryLimitDefault),
});

const insightsQuery = z.object({
  type: z.enum(aiTaskTypeValues).optional().openapi({ description: 'Only results of this analysis type' }),
  before: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Only results stored strictly before this time (the last `timestamp` of the previous page)' }),
  limit: queryInteger(1, 200, 50),
});

/** `after` of a transcript page: `{startMs}_{caption id}`, the previous page's `next`. */
const TRANSCRIPT_CURSOR_PATTERN = /^[0-9]{1,12}_[0-9a-fA-F-]{36}$/;

const transcriptQuery = z.object({
  after: z
    .string()
    .regex(TRANSCRIPT_CURSOR_PATTERN, 'must be the `next` value of the previous page')
    .transform((v) => ({ startMs: Number(v.slice(0, v.indexOf('_'))), id: v.slice(v.indexOf('_') + 1).toLowerCase() }))
    .optional()
    .openapi({ type: 'string', pattern: TRANSCRIPT_CURSOR_PATTERN.source, description: '`next` of the previous page: captions after it' }),
  limit: queryInteger(1, 200, 100),
});

const transcriptPageSchema = z
  .object({
    items: z.array(captionSchema).openapi({ description: 'In the order they were spoken (meeting time)' }),
    next: z.string().regex(TRANSCRIPT_CURSOR_PATTERN).nullable().openapi({ description: 'Pass as `after` for more; null on the last page' }),
  })
  .openapi('TranscriptPage');

const chatPageSchema = z
  .object({
    messages: z.array(chatMessageSchema).openapi({ description: 'Newest first' }),
    nextCursor: z.string().regex(CHAT_CURSOR_PATTERN).nullable().openapi({ description: 'Pass as `before` for older messages; null on the last page' }),
  })
  .openapi('ChatPage');

const insightOf = <T extends AiTaskType>(analysisType: T) =>
  z.object({
    taskId: z.uuid(),
    meetingId: z.uuid(),
    /** Who asked for the task. */
    userId: z.uuid(),
    analysisType: z.literal(analysisType),
    timestamp: z.iso.datetime().openapi({ description: 'When the result was stored' }),
    results: aiResultSchemas[analysisType] as (typeof aiResultSchemas)[T],
  });

const insightsPageSchema = z
  .object({
    items: z.array(z.discriminatedUnion('analysisType', aiTaskTypeValues.map(insightOf) as [ReturnType<typeof insightOf>])),
  })
  .openapi('InsightsPage');

/** A history read: GET /api/v1/meetings/{id}/{what} with its query and page, answered to participants. */
function historyRoute<Q extends z.ZodObject, P extends z.ZodType>(what: string, summary: string, description: string, query: Q, page: P) {
  return createRoute({
    tags: ['history'],
    security: [{ bearer: [] }],
    method: 'get',
    path: `/api/v1/meetings/{id}/${what}`,
    summary,
    description,
    request: { params: meetingParams, query },
    responses: { 200: jsonResponse(page, 'One page'), ...errorResponses(400, 401, 403, 404) },
  });
}

const chatRoute = historyRoute(
  'chat',
  'Chat messages of a meeting, newest first (participants)',
  "Authorised by the edge's access token of a participant (404 for meetings the caller is not in, or declined) or a " +
    "join token for this meeting (403 for another meeting's).",
  chatQuery,
  chatPageSchema,
);
const insightsRoute = historyRoute(
  'insights',
  'Stored AI results of a meeting, newest first (participants)',
  'Authorised like the chat history.',
  insightsQuery,
  insightsPageSchema,
);
const transcriptRoute = historyRoute(
  'transcript',
  'Live captions of a meeting, in the order they were spoken (participants)',
  'Authorised like the chat history. Empty transcriptions (noise) are left out.',
  transcriptQuery,
  transcriptPageSchema,
);

/**
 * History for clients that are not connected, authorised by `Authorization: Bearer
 * <access JWT or join token>` of a participant:
 * GET /api/v1/meetings/{id}/chat?before=&limit= — chat messages, newest first;
 * GET /api/v1/meetings/{id}/insights?type=&before=&limit= — AI results, newest first;
 * GET /api/v1/meetings/{id}/transcript?after=&limit= — captions in the order they were
 * spoken (meeting time), `{ items: Caption[], next }`; pass `next` as `after` for more.
 * Every read checks, in order: the meeting id (404 when not a UUID), the query (400), the caller.
 */
export function historyRoutes(deps: HistoryAuthDeps & { chat: ChatStore; insights: Db }) {
  /** Why the caller may not read this meeting's history, or undefined when they may. */
  const refusal = async (authorization: string | undefined, meetingId: string) => {
    const access = await authorizeHistory(deps, bearerToken(authorization), meetingId);
    return access.ok ? undefined : { body: errorBody(access.code, access.message), status: access.status };
  };
  return createRouter()
    .openapi(transcriptRoute, async (c) => {
      const { id } = c.req.valid('param');
      const refused = await refusal(c.req.header('authorization'), id);
      if (refused) return c.json(refused.body, refused.status);
      const page = await listTranscript(deps.insights, id, c.req.valid('query'));
      return c.json({ items: page.items, next: page.next ? `${page.next.startMs}_${page.next.id}` : null }, 200);
    })
    .openapi(insightsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const refused = await refusal(c.req.header('authorization'), id);
      if (refused) return c.json(refused.body, refused.status);
      const { type, before, limit } = c.req.valid('query');
      const items = await listInsights(deps.insights, id, { type, limit, before: before === undefined ? undefined : new Date(before) });
      return c.json({ items } as z.infer<typeof insightsPageSchema>, 200);
    })
    .openapi(chatRoute, async (c) => {
      const { id } = c.req.valid('param');
      const refused = await refusal(c.req.header('authorization'), id);
      if (refused) return c.json(refused.body, refused.status);
      try {
        return c.json(await deps.chat.history(id, c.req.valid('query')), 200);
      } catch (error) {
        if (error instanceof InvalidCursorError) return c.json(errorBody('validation_failed', error.message), 400);
        throw error;
      }
    });
}

function bearerToken(header: string | undefined): string | undefined {
  return header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
}

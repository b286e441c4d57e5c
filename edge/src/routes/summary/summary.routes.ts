import { createRoute, z } from '@hono/zod-openapi';
import { meetingStatusValues } from '@huddle/db';
import { errorResponses, jsonResponse } from '../../lib/openapi.ts';
import { requireAuth } from '../../middleware/auth.ts';
import { meetingIdParams } from '../meetings/meetings.schemas.ts';

const meetingSummarySchema = z
  .object({
    meetingId: z.uuid(),
    title: z.string(),
    status: z.enum(meetingStatusValues),
    startedAt: z.string().nullable().openapi({ format: 'date-time' }),
    endedAt: z.string().nullable().openapi({ format: 'date-time' }),
    stats: z
      .object({
        participantCount: z.number().int(),
        peakParticipants: z.number().int(),
        durationSeconds: z.number().int(),
        totalParticipantSeconds: z.number().int(),
        chatMessageCount: z.number().int(),
      })
      .nullable()
      .openapi({ description: 'Written when the meeting ends; null before' }),
    summary: z.array(z.string()).nullable().openapi({ description: 'Extractive summary sentences; null until the media node summarised the meeting' }),
    keywords: z.array(z.object({ term: z.string(), score: z.number() })).nullable(),
    talkTime: z
      .array(z.object({ userId: z.uuid(), name: z.string(), talkTimeMs: z.number().nonnegative() }))
      .nullable()
      .openapi({ description: 'Talk time per speaker, most first' }),
    summarizedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('MeetingSummary');

export const summaryRoute = createRoute({
  method: 'get',
  path: '/{id}/summary',
  tags: ['meetings'],
  summary: "A meeting's statistics, summary, keywords and talk time (participants only)",
  description:
    'Statistics exist once the meeting ended; the summary, keywords and talk time a little later, when the media node ' +
    'has transcribed the last words (`summarizedAt` set). Unknown meetings and meetings the caller is not in are 404; a participant removed by the host ' +
    'gets 403 `participant_removed` until invited again.',
  security: [{ bearer: [] }],
  middleware: [requireAuth] as const,
  request: { params: meetingIdParams },
  responses: {
    200: jsonResponse(meetingSummarySchema, 'The summary'),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

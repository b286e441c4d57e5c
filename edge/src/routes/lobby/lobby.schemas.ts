import { z } from '@hono/zod-openapi';
import {
  entryModeValues,
  GUEST_NAME_PATTERN,
  guestNameSchema,
  LOBBY_LIMITS,
  LOBBY_TICKET_ID_REGEX,
  lobbyDenialReasonValues,
  MEETING_CODE_REGEX,
} from '@huddle/protocol';
import { TICKET_WAIT_MAX_SECONDS } from '../../services/lobby/lobby-wait.ts';
import { joinGrantSchema } from '../join/join.routes.ts';

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/** A meeting code in the path: `abc-defg-hij`, letters in either case (read as lower case); anything else is 400. */
export const codeParams = z.object({
  code: z
    .string()
    .max(32)
    .transform((code) => code.toLowerCase())
    .pipe(z.string().regex(MEETING_CODE_REGEX, 'must look like abc-defg-hij'))
    .openapi({
      param: { name: 'code', in: 'path' },
      type: 'string',
      pattern: '^[A-Za-z]{3}-[A-Za-z]{4}-[A-Za-z]{3}$',
      example: 'kqz-mwpa-tdx',
    }),
});

export const ticketParams = codeParams.extend({
  ticketId: z
    .string()
    .regex(LOBBY_TICKET_ID_REGEX, 'is not a lobby ticket id')
    .openapi({ param: { name: 'ticketId', in: 'path' }, example: 'q3Jx8d0W2eTqz7bVh1nY5A' }),
});

export const entryBody = z
  .object({
    displayName: guestNameSchema.optional().openapi({
      type: 'string',
      minLength: 1,
      maxLength: LOBBY_LIMITS.guestNameCharsMax * 4,
      pattern: GUEST_NAME_PATTERN,
      description:
        `Guests (no Authorization header): the name others will see — 1–${LOBBY_LIMITS.guestNameCharsMax} characters after trimming, ` +
        'at least one of them visible (a letter, digit, punctuation mark or symbol that is not zero-width or blank), ' +
        'no control or bidirectional control characters, no unpaired UTF-16 surrogates; at most ' +
        `${LOBBY_LIMITS.guestNameCharsMax * 4} characters with the surrounding whitespace. Checked whenever present (400 otherwise); ` +
        'used only for guests: signed-in users and guests who already have a token keep their name.',
      example: 'Ada from Acme',
    }),
  })
  .openapi('LinkEntry');

export const waitQuery = z.object({
  waitSeconds: z
    .string()
    .regex(/^[0-9]{1,2}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(TICKET_WAIT_MAX_SECONDS))
    .default(20)
    .openapi({ type: 'integer', pattern: undefined, minimum: 0, maximum: TICKET_WAIT_MAX_SECONDS, default: 20 }),
});

// ---------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------

export const meetingPreviewSchema = z
  .object({
    code: z.string().openapi({ example: 'kqz-mwpa-tdx' }),
    title: z.string(),
    hostName: z.string(),
    startTime: z.string().openapi({ format: 'date-time' }),
    status: z.enum(['scheduled', 'ongoing']),
    entry: z.enum(entryModeValues).openapi({ description: 'Who may enter with the link' }),
    locked: z.boolean().openapi({ description: 'The host locked the meeting: nobody new enters' }),
    lobby: z.boolean().openapi({ description: 'Entering means waiting until a host or cohost lets you in' }),
    signInRequired: z.boolean().openapi({ description: 'Only signed-in users may enter; sign in first' }),
    participant: z.boolean().openapi({ description: 'You are already in this meeting: entering gives the join grant' }),
  })
  .openapi('MeetingPreview');

const guestCredentialsSchema = z
  .object({
    token: z.string().openapi({ description: 'Guest token: Bearer for this meeting’s link routes and POST /meetings/{id}/join' }),
    userId: z.uuid(),
    name: z.string(),
    expiresAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('GuestCredentials');

export const entryResultSchema = z
  .discriminatedUnion('status', [
    z.object({
      status: z.literal('admitted'),
      meetingId: z.uuid(),
      grant: joinGrantSchema,
      guest: guestCredentialsSchema.optional(),
    }),
    z.object({
      status: z.literal('waiting'),
      ticketId: z.string(),
      expiresAt: z.string().openapi({ format: 'date-time', description: 'Let in before this, or the ticket expires' }),
      guest: guestCredentialsSchema.optional(),
    }),
  ])
  .openapi('LinkEntryResult');

export const ticketStatusSchema = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('waiting'), expiresAt: z.string().openapi({ format: 'date-time' }) }),
    z.object({ status: z.literal('admitted'), meetingId: z.uuid(), grant: joinGrantSchema }),
    z.object({ status: z.literal('denied'), reason: z.enum(lobbyDenialReasonValues), message: z.string().optional() }),
  ])
  .openapi('LobbyTicketStatus');

import { z } from '@hono/zod-openapi';
import {
  LIMITS,
  meetingStatusValues,
  participantRoleValues,
  participantStatusValues,
  MEETING_CODE_PATTERN,
} from '@huddle/db';
import { codePointLength, entryModeValues, meetingSettingsKnownSchema, queryInteger, text } from '@huddle/protocol';
import { decodeMeetingCursor, MEETING_CURSOR_PATTERN } from '../../services/meetings.ts';
import { INVITEES_PER_REQUEST_MAX } from '../../services/meeting-invitees.ts';

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/** Bounds of a meeting's free-form settings object. */
export const SETTINGS_LIMITS = {
  /** Serialized size, in bytes of UTF-8 JSON. */
  maxBytes: 8 * 1024,
  /** Nesting: the settings object itself is depth 1. */
  maxDepth: 5,
  /** Length of any key, in characters. */
  maxKeyLength: 64,
} as const;

/** How far from now a start time may be: at most a day in the past, five years ahead. */
const START_TIME_PAST_MS = 86_400_000;
const START_TIME_FUTURE_MS = 5 * 365 * 86_400_000;

const uuid = z.uuid().transform((id) => id.toLowerCase());

/** A meeting id in the path; anything but a UUID is 400. */
export const meetingIdParams = z.object({
  id: uuid.openapi({ param: { name: 'id', in: 'path' }, example: '0b5d8a4e-4a9e-4cf2-9d35-0a1f7f2c9a11' }),
});

const title = text({ min: 1, max: LIMITS.meetingTitleMax, trim: true }).openapi({
  description: `1–${LIMITS.meetingTitleMax} characters as sent; surrounding whitespace is removed`,
  example: 'Weekly sync',
});

const startTime = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text))
  .refine((date) => date.getTime() >= Date.now() - START_TIME_PAST_MS, 'must not be more than a day in the past')
  .refine((date) => date.getTime() <= Date.now() + START_TIME_FUTURE_MS, 'must be within five years')
  .openapi({
    type: 'string',
    format: 'date-time',
    description:
      'ISO 8601 with `Z` or an offset; not more than a day (86,400 s) before the time of the request and not more ' +
      'than five years (5 × 365 days) after it.',
    example: '2027-01-15T09:30:00Z',
  });

const duration = z
  .number()
  .int()
  .min(1)
  .max(LIMITS.durationMinutesMax)
  .openapi({ description: 'Minutes', example: 45 });

/** Nesting depth of a JSON value, counting no further than `limit + 1` (a hostile body cannot blow the stack). */
function depthOf(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, limit - 1));
    if (deepest >= limit) break;
  }
  return 1 + deepest;
}

/** Longest object key at any depth, in code points. */
function longestKey(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const own = Array.isArray(value) ? 0 : Math.max(0, ...Object.keys(value).map(codePointLength));
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.reduce<number>((max, child) => Math.max(max, longestKey(child)), own);
}

/**
 * The JSON Schema of the settings rules it can state: keys of at most maxKeyLength
 * characters at every depth, and nesting at most maxDepth levels (settings itself is
 * level 1; a value `levels` deep may hold containers `levels - 1` deep).
 */
function settingsJsonSchema(): Record<string, unknown> {
  const keys = { type: 'string', maxLength: SETTINGS_LIMITS.maxKeyLength };
  const scalar = { type: ['string', 'number', 'boolean', 'null'] };
  let value: Record<string, unknown> = scalar;
  for (let levels = 1; levels < SETTINGS_LIMITS.maxDepth; levels++) {
    value = {
      anyOf: [scalar, { type: 'array', items: value }, { type: 'object', propertyNames: keys, additionalProperties: value }],
    };
  }
  // The keys the system acts on have types (protocol/src/meeting-settings.ts).
  const properties = {
    captions: { type: 'boolean' },
    entry: { type: 'string', enum: [...entryModeValues] },
    lobby: { type: 'boolean' },
    locked: { type: 'boolean' },
  };
  return { type: 'object', properties, propertyNames: keys, additionalProperties: value };
}

/** Free-form per-meeting settings: a JSON object, bounded in size, depth and key length. */
export const settings = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    // Depth first: it also bounds the recursion of the other checks.
    if (depthOf(value, SETTINGS_LIMITS.maxDepth) > SETTINGS_LIMITS.maxDepth) {
      ctx.addIssue({ code: 'custom', message: `must be nested at most ${SETTINGS_LIMITS.maxDepth} levels deep` });
      return;
    }
    if (new TextEncoder().encode(JSON.stringify(value)).length > SETTINGS_LIMITS.maxBytes) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${SETTINGS_LIMITS.maxBytes} bytes as JSON` });
    }
    if (longestKey(value) > SETTINGS_LIMITS.maxKeyLength) {
      ctx.addIssue({ code: 'custom', message: `keys must be at most ${SETTINGS_LIMITS.maxKeyLength} characters` });
    }
    // Keys the system acts on must have their type (captions; link entry: entry, lobby, locked).
    const known = meetingSettingsKnownSchema.safeParse(value);
    for (const issue of known.error?.issues ?? []) {
      ctx.addIssue({ code: 'custom', path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: issue.message });
    }
  })
  .openapi('MeetingSettings', {
    ...settingsJsonSchema(),
    description:
      `A JSON object of your own; at most ${SETTINGS_LIMITS.maxBytes} bytes as compact UTF-8 JSON ` +
      `(JSON.stringify), nested at most ${SETTINGS_LIMITS.maxDepth} levels (this object is level 1), ` +
      `keys at most ${SETTINGS_LIMITS.maxKeyLength} characters. Typed keys: \`captions\` (boolean, default true) switches ` +
      'live captions; `entry` (who may enter with the link: `invited` — the default —, `signed_in` or `guests`), `lobby` ' +
      '(boolean, default true: link holders wait until a host or cohost lets them in; guests always wait) and `locked` ' +
      '(boolean, default false: nobody new enters).',
    example: { entry: 'guests', lobby: true, locked: false, captions: true, muteOnEntry: false },
  });

const userIds = z.array(uuid).max(INVITEES_PER_REQUEST_MAX);

export const createMeetingBody = z
  .object({
    title,
    startTime,
    duration,
    invitedUserIds: userIds.optional().openapi({
      description: `At most ${INVITEES_PER_REQUEST_MAX}; each must name an active user (400 \`unknown_users\` otherwise); duplicates and the caller are ignored`,
    }),
    settings: settings.optional(),
  })
  .openapi('CreateMeeting');

const updatableFields = ['title', 'startTime', 'duration', 'settings'] as const;

export const updateMeetingBody = z
  .object({
    title: title.optional(),
    startTime: startTime.optional(),
    duration: duration.optional(),
    settings: settings.optional().openapi({ description: 'Replaces the stored settings as a whole' }),
  })
  .refine((body) => Object.values(body).some((v) => v !== undefined), {
    message: `set at least one of ${updatableFields.join(', ')}`,
  })
  // Unknown fields are ignored, so "not empty" means one of the known ones.
  .openapi('UpdateMeeting', {
    minProperties: 1,
    anyOf: updatableFields.map((field) => ({ required: [field] })),
  });

export const invitationBody = z
  .object({
    userIds: userIds.min(1).openapi({
      description: `1..${INVITEES_PER_REQUEST_MAX} ids of active users (400 \`unknown_users\` otherwise); users already in the meeting are skipped`,
    }),
  })
  .openapi('Invitation');

export const listMeetingsQuery = z.object({
  status: z.enum(meetingStatusValues).optional(),
  limit: queryInteger(1, 100, 20),
  cursor: z
    .string()
    .regex(MEETING_CURSOR_PATTERN, 'is not a cursor returned by this API')
    .transform((text) => decodeMeetingCursor(text)!)
    .optional()
    .openapi({ type: 'string', pattern: MEETING_CURSOR_PATTERN.source, description: 'nextCursor of the previous page' }),
});

// ---------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------

export const participantSchema = z
  .object({
    userId: z.uuid(),
    role: z.enum(participantRoleValues),
    status: z.enum(participantStatusValues),
  })
  .openapi('Participant');

const meetingFields = {
  id: z.uuid(),
  title: z.string(),
  meetingCode: z.string().regex(new RegExp(MEETING_CODE_PATTERN)).openapi({ example: 'kqz-mwpa-tdx' }),
  creatorId: z.uuid(),
  startTime: z.string().openapi({ format: 'date-time' }),
  duration: z.number().int().openapi({ description: 'Minutes' }),
  status: z.enum(meetingStatusValues),
  settings: z.record(z.string(), z.unknown()),
  startedAt: z.string().nullable().openapi({ format: 'date-time' }),
  endedAt: z.string().nullable().openapi({ format: 'date-time' }),
  createdAt: z.string().openapi({ format: 'date-time' }),
  updatedAt: z.string().openapi({ format: 'date-time' }),
};

export const meetingSchema = z
  .object({ ...meetingFields, participants: z.array(participantSchema) })
  .openapi('Meeting');

export const meetingPageSchema = z
  .object({
    items: z.array(
      z
        .object({
          ...meetingFields,
          membership: participantSchema.pick({ role: true, status: true }),
        })
        .openapi('MeetingListItem'),
    ),
    nextCursor: z.string().regex(MEETING_CURSOR_PATTERN).nullable(),
  })
  .openapi('MeetingPage');

export const invitationResultSchema = z
  .object({
    participants: z.array(participantSchema),
    invitedUserIds: z.array(z.uuid()).openapi({ description: 'Users this request added' }),
  })
  .openapi('InvitationResult');

import { z } from 'zod';
import { hasVisibleText, unstorableTextReason } from './storable-text.ts';
import { codePointLength, TRIMMED_SPACE_CLASS } from './text.ts';

// The lobby: people who opened a meeting's link and wait for a host or cohost to let
// them in. State lives in Redis under `lobby:{meetingId}:…` (redisKeys.lobby*), so every
// edge instance and media node sees the same lobby:
//
//   edge   POST /meetings/by-code/{code}/entry   → ticket (waiting) + `lobby.event` knock
//   node   lobby.admit / lobby.deny (signaling)  → ticket status + `lobby.event` resolved
//   edge   GET  /meetings/by-code/{code}/entry/{ticketId}  (long-poll) → join grant once
//
// `lobby.event` messages travel on the meeting's channel `meeting:{id}:events`; every
// media node with the meeting's room open delivers their notification to its local
// hosts and cohosts (never to attendees or guests).

/** Bounds of lobby inputs. */
export const LOBBY_LIMITS = {
  /** A guest's display name, in characters (code points) after trimming. */
  guestNameCharsMax: 64,
  /** The optional message of a denial, in characters. */
  denyMessageCharsMax: 200,
  /** Entrants per `lobby.list` page. */
  listLimitMax: 100,
  listLimitDefault: 50,
  /** Entrants one `lobby.admitAll` / `lobby.denyAll` decides (call again for the rest). */
  bulkMax: 100,
} as const;

/** Timing both sides of the lobby must agree on, in ms. */
export const LOBBY_TIMING = {
  /** A settled ticket is kept this long, so its entrant's next poll learns the outcome (and a second redemption is refused). */
  decisionHoldMs: 120_000,
} as const;

/** A meeting code as people share it: `abc-defg-hij` (the same rule as db's MEETING_CODE_PATTERN). */
export const MEETING_CODE_REGEX = /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/;

/** A lobby ticket id: 128 random bits, base64url without padding (22 characters). */
export const LOBBY_TICKET_ID_REGEX = /^[A-Za-z0-9_-]{22}$/;
export const lobbyTicketIdSchema = z.string().regex(LOBBY_TICKET_ID_REGEX, 'is not a lobby ticket id');

/** Who knocks: a signed-in user, or a guest without an account. */
export const lobbyEntrantKindValues = ['user', 'guest'] as const;
export type LobbyEntrantKind = (typeof lobbyEntrantKindValues)[number];

/** Why an entrant was not let in. */
export const lobbyDenialReasonValues = [
  /** A host or cohost denied the knock. */
  'host_denied',
  /** The meeting ended (or was cancelled) while they waited. */
  'meeting_ended',
  /** The host locked the meeting after letting them in, before they took their grant. */
  'meeting_locked',
] as const;
export type LobbyDenialReason = (typeof lobbyDenialReasonValues)[number];

/** How a knock was settled, as hosts see it. `left`: the entrant gave up or stopped waiting. */
export const lobbyOutcomeValues = ['admitted', 'denied', 'left'] as const;
export type LobbyOutcome = (typeof lobbyOutcomeValues)[number];

const isoTime = z.iso.datetime({ offset: true });

/** A waiting entrant as hosts see it. `username` only for signed-in users (verified identity). */
export const lobbyEntrantSchema = z.object({
  ticketId: lobbyTicketIdSchema,
  kind: z.enum(lobbyEntrantKindValues),
  /** The user id they will have in the meeting (a guest's is made for this visit). */
  userId: z.uuid(),
  name: z.string(),
  username: z.string().optional(),
  knockedAt: isoTime,
});
export type LobbyEntrant = z.infer<typeof lobbyEntrantSchema>;

/**
 * A guest's display name: trimmed, 1–64 characters, at least one visible character
 * (letters, digits, punctuation or symbols; zero-width and blank characters alone do
 * not name anyone), no control characters, no bidirectional overrides (they make a
 * name read differently from what it is).
 */
// Characters a guest's name may not contain once trimmed: controls (Cc), line and paragraph
// separators, and bidirectional controls (embeddings, overrides, isolates, marks).
const GUEST_NAME_FORBIDDEN_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\u200e\\u200f\\u061c';

/**
 * JSON Schema pattern of a guest's display name: whitespace that trimming removes around
 * 1–64 characters that start and end with a non-space and contain none of the forbidden
 * characters. What it cannot state — at least one visible character, no unpaired
 * surrogate — is in the document's description. Engines that count code points (the
 * `u` flag, Python, Rust) read the bound as 64 characters, as the server does.
 */
export const GUEST_NAME_PATTERN = (() => {
  const inner = `[^${GUEST_NAME_FORBIDDEN_CLASS}]`;
  const edge = `[^${GUEST_NAME_FORBIDDEN_CLASS}${TRIMMED_SPACE_CLASS}]`;
  return `^[${TRIMMED_SPACE_CLASS}]*${edge}(?:${inner}{0,${LOBBY_LIMITS.guestNameCharsMax - 2}}${edge})?[${TRIMMED_SPACE_CLASS}]*$`;
})();

export const guestNameSchema = z
  .string()
  .refine((value) => codePointLength(value) <= LOBBY_LIMITS.guestNameCharsMax * 4, 'is far too long')
  .transform((value) => value.trim())
  .refine((value) => codePointLength(value) >= 1, 'must not be empty')
  .refine((value) => codePointLength(value) <= LOBBY_LIMITS.guestNameCharsMax, `must be at most ${LOBBY_LIMITS.guestNameCharsMax} characters`)
  .refine((value) => !/[\p{Cc}\u2028\u2029]/u.test(value), 'must not contain control characters or line breaks')
  .refine((value) => !/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u.test(value), 'must not contain bidirectional control characters')
  .refine((value) => unstorableTextReason(value) === undefined, 'must not contain unpaired UTF-16 surrogates')
  .refine(hasVisibleText, 'must contain a visible character');

const requestId = z.union([z.string().max(64), z.number()]);

/** Lobby requests (hosts and cohosts only), spread into signalingRequestSchema. */
export const lobbyRequestSchemas = [
  /** → `{ entrants: LobbyEntrant[] (oldest first), waiting }`. */
  z.object({
    id: requestId,
    method: z.literal('lobby.list'),
    data: z
      .object({ limit: z.number().int().min(1).max(LOBBY_LIMITS.listLimitMax).optional() })
      .optional()
      .default({}),
  }),
  /** → `{ ticketId, userId }`; `not_found` when the entrant is gone or already settled. */
  z.object({ id: requestId, method: z.literal('lobby.admit'), data: z.object({ ticketId: lobbyTicketIdSchema }) }),
  /** → `{ ticketId }`; the entrant learns `host_denied` (and `message`) and may not knock again for a while. */
  z.object({
    id: requestId,
    method: z.literal('lobby.deny'),
    data: z.object({
      ticketId: lobbyTicketIdSchema,
      message: z
        .string()
        .trim()
        .min(1)
        .refine((v) => codePointLength(v) <= LOBBY_LIMITS.denyMessageCharsMax, `must be at most ${LOBBY_LIMITS.denyMessageCharsMax} characters`)
        .refine((v) => !/[\p{Cc}]/u.test(v) && v.isWellFormed(), 'must not contain control characters')
        .optional(),
    }),
  }),
  /** → `{ admitted, remaining }`: the oldest LOBBY_LIMITS.bulkMax waiting entrants. */
  z.object({ id: requestId, method: z.literal('lobby.admitAll'), data: z.object({}).optional().default({}) }),
  /** → `{ denied, remaining }`: the oldest LOBBY_LIMITS.bulkMax waiting entrants (a raid). */
  z.object({ id: requestId, method: z.literal('lobby.denyAll'), data: z.object({}).optional().default({}) }),
] as const;

/** Lobby notifications (to hosts and cohosts only), spread into signalingNotificationSchema. */
export const lobbyNotificationSchemas = [
  /** Someone knocked. `waiting`: entrants in the lobby now. */
  z.object({
    method: z.literal('lobby.knock'),
    data: z.object({ entrant: lobbyEntrantSchema, waiting: z.number().int().nonnegative() }),
  }),
  /**
   * Knocks arrive faster than hosts can read them: from the meeting's per-minute knock
   * budget on, knocks are not announced one by one; this counter (at most one per
   * second per meeting) says how many wait, and how many knocks went unannounced this
   * minute. `lobby.list` shows who.
   */
  z.object({
    method: z.literal('lobby.count'),
    data: z.object({ waiting: z.number().int().nonnegative(), suppressed: z.number().int().nonnegative() }),
  }),
  /** A knock was settled: admitted or denied (by `byUserId`), or the entrant left. */
  z.object({
    method: z.literal('lobby.resolved'),
    data: z.object({
      ticketId: lobbyTicketIdSchema,
      outcome: z.enum(lobbyOutcomeValues),
      byUserId: z.uuid().optional(),
      waiting: z.number().int().nonnegative(),
    }),
  }),
] as const;

const lobbyNotificationSchema = z.discriminatedUnion('method', [...lobbyNotificationSchemas]);
export type LobbyNotification = z.infer<typeof lobbyNotificationSchema>;

/**
 * `lobby.event` on the meeting channel: the notification every node hands to its local
 * hosts and cohosts. Published by the edge (knocks, counts, entrants leaving) and by
 * media nodes (decisions, entrants found gone).
 */
export const lobbyEventSchema = z.object({
  type: z.literal('lobby.event'),
  meetingId: z.uuid(),
  notification: lobbyNotificationSchema,
});
export type LobbyEvent = z.infer<typeof lobbyEventSchema>;

/** Where a ticket stands. `used`: admitted and exchanged for a join grant (tickets are single-use). */
export const lobbyTicketStatusValues = ['waiting', 'admitted', 'denied', 'used', 'left'] as const;
export type LobbyTicketStatus = (typeof lobbyTicketStatusValues)[number];

const msField = z.string().regex(/^\d{1,15}$/).transform(Number);

/**
 * A ticket as stored in Redis (hash `lobby:{meetingId}:ticket:{ticketId}`, string
 * fields). The edge writes it at the knock; nodes change `status`, `decidedBy`, `reason`
 * and `message`. Times are ms since the epoch.
 */
export const lobbyTicketRecordSchema = z.object({
  meetingId: z.uuid(),
  kind: z.enum(lobbyEntrantKindValues),
  userId: z.uuid(),
  name: z.string(),
  username: z.string().optional(),
  /** The client address that knocked (rate-limit form): blocked for a while after a denial of a guest. */
  ip: z.string(),
  status: z.enum(lobbyTicketStatusValues),
  knockedAt: msField,
  /** The entrant must be let in before this, or the ticket is refused. */
  expiresAt: msField,
  /** How long a denial keeps this entrant from knocking again, in seconds. */
  blockSeconds: msField,
  decidedBy: z.uuid().optional(),
  reason: z.enum(lobbyDenialReasonValues).optional(),
  message: z.string().optional(),
});
export type LobbyTicketRecord = z.infer<typeof lobbyTicketRecordSchema>;

/** A stored ticket hash (HGETALL) as a record; undefined when it is missing or malformed. */
export function parseLobbyTicket(hash: Record<string, string> | null | undefined): LobbyTicketRecord | undefined {
  if (!hash || Object.keys(hash).length === 0) return undefined;
  const parsed = lobbyTicketRecordSchema.safeParse(hash);
  return parsed.success ? parsed.data : undefined;
}

/** The entrant a ticket shows hosts. */
export function lobbyEntrantOf(ticketId: string, record: LobbyTicketRecord): LobbyEntrant {
  return {
    ticketId,
    kind: record.kind,
    userId: record.userId,
    name: record.name,
    ...(record.kind === 'user' && record.username ? { username: record.username } : {}),
    knockedAt: new Date(record.knockedAt).toISOString(),
  };
}

/** The block subject of a user and of a client address (redisKeys.lobbyBlock). */
export const lobbyBlockSubject = {
  user: (userId: string) => `user:${userId}`,
  ip: (ip: string) => `ip:${ip}`,
};

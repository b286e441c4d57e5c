// Drizzle schema for Huddle's PostgreSQL database.
//
// Rules for this file:
// - Loaded by drizzle-kit (its own tsx loader), by Node (type stripping) and bundled into
//   the Worker: no Node-only imports, no relative imports, erasable TypeScript only.
// - Every change here needs a new migration: `npm run db:generate` (see db/README.md).
//   db/test/migrations.test.ts fails when the committed migrations lag behind this file.
// - Constraint and index names are explicit: they are part of the contract (tests and the
//   API map Postgres errors to responses by constraint name, see CONSTRAINTS below).
import { relations, sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// ---------------------------------------------------------------------------------------
// Enum values and limits. Exported so request validation (zod) derives from the same
// source: `z.enum(meetingStatusValues)`, `z.string().max(LIMITS.meetingTitleMax)`.
// ---------------------------------------------------------------------------------------

// `guest` (user status and participant role): someone who entered one meeting with its
// link without an account. The users row gives them an id for chat, history and stats;
// it has no usable password (login refuses every status but `active`) and is never
// invitable; the participant role has no host rights.
export const userStatusValues = ['active', 'disabled', 'guest'] as const;
export const meetingStatusValues = ['scheduled', 'ongoing', 'ended', 'cancelled'] as const;
export const participantRoleValues = ['host', 'cohost', 'attendee', 'guest'] as const;
// `removed`: a host or cohost removed the participant; they stay out (no join token, no
// socket, no history) until invited again, which sets them back to `pending` — or until
// a host lets them in from the lobby again (`accepted`).
export const participantStatusValues = ['pending', 'accepted', 'declined', 'joined', 'left', 'removed'] as const;

export type UserStatus = (typeof userStatusValues)[number];
export type MeetingStatus = (typeof meetingStatusValues)[number];
export type ParticipantRole = (typeof participantRoleValues)[number];
export type ParticipantStatus = (typeof participantStatusValues)[number];

export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  emailMax: 254, // RFC 5321 path limit
  fullNameMax: 100,
  meetingTitleMax: 200,
  durationMinutesMax: 24 * 60, // a scheduled meeting lasts at most one day
} as const;

/** Meeting codes look like `abc-defg-hij` (lower-case ASCII letters). */
export const MEETING_CODE_PATTERN = '^[a-z]{3}-[a-z]{4}-[a-z]{3}$';
export const meetingCodeRegExp = new RegExp(MEETING_CODE_PATTERN);

/** Names of the constraints/indexes callers may want to map to API errors. */
export const CONSTRAINTS = {
  usersUsernameUnique: 'users_username_lower_unique',
  usersEmailUnique: 'users_email_lower_unique',
  meetingsCodeUnique: 'meetings_meeting_code_unique',
  participantsMeetingUserUnique: 'meeting_participants_meeting_user_unique',
  participantsOneHost: 'meeting_participants_one_host_per_meeting',
  meetingsCreatorFk: 'meetings_creator_id_fkey',
  participantsMeetingFk: 'meeting_participants_meeting_id_fkey',
  participantsUserFk: 'meeting_participants_user_id_fkey',
  statsMeetingFk: 'meeting_stats_meeting_id_fkey',
} as const;

/** Numbers inlined into CHECK constraints (drizzle-kit must see literals, not params). */
const n = (value: number) => sql.raw(String(value));

export const userStatus = pgEnum('user_status', userStatusValues);
export const meetingStatus = pgEnum('meeting_status', meetingStatusValues);
export const participantRole = pgEnum('participant_role', participantRoleValues);
export const participantStatus = pgEnum('participant_status', participantStatusValues);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
// updated_at is maintained by a BEFORE UPDATE trigger (migration 0001_updated_at_triggers),
// so it is right for raw SQL updates too, not only for drizzle's update().
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

// ---------------------------------------------------------------------------------------
// users
// ---------------------------------------------------------------------------------------

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    fullName: text('full_name'),
    status: userStatus('status').notNull().default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Case-insensitive uniqueness. Look users up with `lower(col) = lower($1)` so these
    // indexes serve the query as well.
    uniqueIndex(CONSTRAINTS.usersUsernameUnique).on(sql`lower(${t.username})`),
    uniqueIndex(CONSTRAINTS.usersEmailUnique).on(sql`lower(${t.email})`),
    check(
      'users_username_length',
      sql`char_length(${t.username}) between ${n(LIMITS.usernameMin)} and ${n(LIMITS.usernameMax)}`,
    ),
    check(
      'users_email_format',
      sql`char_length(${t.email}) <= ${n(LIMITS.emailMax)} and ${t.email} ~ '^[^@[:space:]]+@[^@[:space:]]+$'`,
    ),
    check('users_full_name_length', sql`char_length(${t.fullName}) between 1 and ${n(LIMITS.fullNameMax)}`),
    check('users_password_hash_not_empty', sql`char_length(${t.passwordHash}) > 0`),
  ],
);

// ---------------------------------------------------------------------------------------
// meetings
// ---------------------------------------------------------------------------------------

/** Free-form per-meeting settings; the API validates the shape. Always a JSON object. */
export type MeetingSettings = Record<string, unknown>;

export const meetings = pgTable(
  'meetings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title').notNull(),
    meetingCode: text('meeting_code').notNull(),
    creatorId: uuid('creator_id').notNull(),
    startTime: timestamp('start_time', { withTimezone: true }).notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    status: meetingStatus('status').notNull().default('scheduled'),
    settings: jsonb('settings').$type<MeetingSettings>().notNull().default(sql`'{}'::jsonb`),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // ON DELETE RESTRICT: a meeting is shared history (other people's participation, stats,
    // and chat/AI results in MongoDB keyed by meeting id). Deleting its creator must not
    // silently erase it: disable the user (status = 'disabled') instead, or delete/reassign
    // their meetings explicitly first.
    foreignKey({ name: CONSTRAINTS.meetingsCreatorFk, columns: [t.creatorId], foreignColumns: [users.id] })
      .onDelete('restrict')
      .onUpdate('cascade'),
    unique(CONSTRAINTS.meetingsCodeUnique).on(t.meetingCode),
    index('meetings_creator_id_status_idx').on(t.creatorId, t.status),
    index('meetings_start_time_idx').on(t.startTime),
    index('meetings_settings_gin_idx').using('gin', t.settings),
    check('meetings_title_length', sql`char_length(${t.title}) between 1 and ${n(LIMITS.meetingTitleMax)}`),
    check('meetings_meeting_code_format', sql`${t.meetingCode} ~ ${sql.raw(`'${MEETING_CODE_PATTERN}'`)}`),
    check(
      'meetings_duration_minutes_range',
      sql`${t.durationMinutes} > 0 and ${t.durationMinutes} <= ${n(LIMITS.durationMinutesMax)}`,
    ),
    check('meetings_settings_is_object', sql`jsonb_typeof(${t.settings}) = 'object'`),
    check('meetings_ended_after_started', sql`${t.endedAt} >= ${t.startedAt}`),
  ],
);

// ---------------------------------------------------------------------------------------
// meeting_participants
// ---------------------------------------------------------------------------------------

export const meetingParticipants = pgTable(
  'meeting_participants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    meetingId: uuid('meeting_id').notNull(),
    userId: uuid('user_id').notNull(),
    role: participantRole('role').notNull().default('attendee'),
    status: participantStatus('status').notNull().default('pending'),
    invitedAt: timestamp('invited_at', { withTimezone: true }).notNull().defaultNow(),
    joinedAt: timestamp('joined_at', { withTimezone: true }),
    leftAt: timestamp('left_at', { withTimezone: true }),
  },
  (t) => [
    // A participation row belongs to its meeting: deleting the meeting deletes it.
    foreignKey({ name: CONSTRAINTS.participantsMeetingFk, columns: [t.meetingId], foreignColumns: [meetings.id] })
      .onDelete('cascade')
      .onUpdate('cascade'),
    // ON DELETE CASCADE: a participation row is the user's own data. Deleting a user (if
    // it is allowed at all, see meetings.creator_id) removes their memberships of other
    // people's meetings; those meetings and their aggregate stats stay intact.
    foreignKey({ name: CONSTRAINTS.participantsUserFk, columns: [t.userId], foreignColumns: [users.id] })
      .onDelete('cascade')
      .onUpdate('cascade'),
    unique(CONSTRAINTS.participantsMeetingUserUnique).on(t.meetingId, t.userId),
    // At most one host per meeting (cohosts are unlimited). Transfer = demote, then promote,
    // in one transaction.
    uniqueIndex(CONSTRAINTS.participantsOneHost).on(t.meetingId).where(sql`role = 'host'`),
    // "Meetings of user X (with status Y)".
    index('meeting_participants_user_id_status_idx').on(t.userId, t.status),
    check('meeting_participants_left_after_joined', sql`${t.leftAt} >= ${t.joinedAt}`),
  ],
);

// ---------------------------------------------------------------------------------------
// meeting_stats (written once, when a meeting ends)
// ---------------------------------------------------------------------------------------

export const meetingStats = pgTable(
  'meeting_stats',
  {
    meetingId: uuid('meeting_id').primaryKey(),
    /** Distinct users who joined. */
    participantCount: integer('participant_count').notNull().default(0),
    /** Highest number of people in the room at the same time. */
    peakParticipants: integer('peak_participants').notNull().default(0),
    /** Actual length: ended_at - started_at. */
    durationSeconds: integer('duration_seconds').notNull().default(0),
    /** Sum over participants of their time in the room. */
    totalParticipantSeconds: integer('total_participant_seconds').notNull().default(0),
    chatMessageCount: integer('chat_message_count').notNull().default(0),
    /**
     * Written a little after the meeting ends, by the media node's captions pipeline once
     * the last utterances are transcribed (null until then, or when nothing was said or written):
     * the extractive summary (sentences in spoken order) and keywords of transcript and chat,
     * and talk time per speaker, most first.
     */
    summary: jsonb('summary').$type<string[]>(),
    keywords: jsonb('keywords').$type<{ term: string; score: number }[]>(),
    talkTime: jsonb('talk_time').$type<{ userId: string; name: string; talkTimeMs: number }[]>(),
    summarizedAt: timestamp('summarized_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({ name: CONSTRAINTS.statsMeetingFk, columns: [t.meetingId], foreignColumns: [meetings.id] })
      .onDelete('cascade')
      .onUpdate('cascade'),
    check(
      'meeting_stats_non_negative',
      sql`${t.participantCount} >= 0 and ${t.peakParticipants} >= 0 and ${t.durationSeconds} >= 0 and ${t.totalParticipantSeconds} >= 0 and ${t.chatMessageCount} >= 0`,
    ),
  ],
);

// ---------------------------------------------------------------------------------------
// Relations (for db.query.* with `with: { ... }`; they do not affect migrations)
// ---------------------------------------------------------------------------------------

export const usersRelations = relations(users, ({ many }) => ({
  createdMeetings: many(meetings),
  participations: many(meetingParticipants),
}));

export const meetingsRelations = relations(meetings, ({ one, many }) => ({
  creator: one(users, { fields: [meetings.creatorId], references: [users.id] }),
  participants: many(meetingParticipants),
  stats: one(meetingStats),
}));

export const meetingParticipantsRelations = relations(meetingParticipants, ({ one }) => ({
  meeting: one(meetings, { fields: [meetingParticipants.meetingId], references: [meetings.id] }),
  user: one(users, { fields: [meetingParticipants.userId], references: [users.id] }),
}));

export const meetingStatsRelations = relations(meetingStats, ({ one }) => ({
  meeting: one(meetings, { fields: [meetingStats.meetingId], references: [meetings.id] }),
}));

// ---------------------------------------------------------------------------------------
// Row types
// ---------------------------------------------------------------------------------------

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Meeting = typeof meetings.$inferSelect;
export type NewMeeting = typeof meetings.$inferInsert;
export type MeetingParticipant = typeof meetingParticipants.$inferSelect;
export type NewMeetingParticipant = typeof meetingParticipants.$inferInsert;
export type MeetingStats = typeof meetingStats.$inferSelect;
export type NewMeetingStats = typeof meetingStats.$inferInsert;

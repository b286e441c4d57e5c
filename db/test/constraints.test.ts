// Database-enforced rules, exercised through drizzle the way the API uses it. Each test
// asserts the SQLSTATE and the constraint name, so a dropped or renamed constraint fails.
import { eq, sql as dsql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/client.ts';
import type { Database, DbClient } from '../src/client.ts';
import { isPgError, PG_ERROR, pgError } from '../src/errors.ts';
import { migrate } from '../src/migrate.ts';
import { CONSTRAINTS, LIMITS, meetingParticipants, meetings, meetingStats, users } from '../src/schema.ts';
import type { Meeting, NewMeeting, NewMeetingParticipant, NewUser, User } from '../src/schema.ts';
import { createThrowawayDb, rejection } from './helpers.ts';
import type { ThrowawayDb } from './helpers.ts';

let target: ThrowawayDb;
let client: DbClient;
let db: Database;

beforeAll(async () => {
  target = await createThrowawayDb('con');
  await migrate(target.url);
  client = createDb(target.url, { runtime: 'node', shared: false, max: 4 });
  db = client.db;
});

afterAll(async () => {
  await client?.sql.end({ timeout: 5 });
  await target?.drop();
});

let seq = 0;
const unique = () => `${process.pid.toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const letters = (n: number) =>
  Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
const newCode = () => `${letters(3)}-${letters(4)}-${letters(3)}`;

function userData(overrides: Partial<NewUser> = {}): NewUser {
  const u = unique();
  return { username: `user_${u}`, email: `user_${u}@example.com`, passwordHash: 'scrypt$test', ...overrides };
}

async function insertUser(overrides: Partial<NewUser> = {}): Promise<User> {
  const [row] = await db.insert(users).values(userData(overrides)).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

function meetingData(creatorId: string, overrides: Partial<NewMeeting> = {}): NewMeeting {
  return {
    title: 'Weekly sync',
    meetingCode: newCode(),
    creatorId,
    startTime: new Date('2026-12-01T10:00:00Z'),
    durationMinutes: 30,
    ...overrides,
  };
}

async function insertMeeting(creatorId: string, overrides: Partial<NewMeeting> = {}): Promise<Meeting> {
  const [row] = await db.insert(meetings).values(meetingData(creatorId, overrides)).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/** Expects `fn` to fail with this SQLSTATE (and constraint, if given). */
async function expectPgError(fn: () => Promise<unknown>, code: string, constraint?: string) {
  const err = await rejection(fn);
  const pg = pgError(err);
  expect(pg, `not a PostgreSQL error: ${String(err)}`).toBeDefined();
  expect(pg?.code).toBe(code);
  if (constraint !== undefined) expect(pg?.constraint).toBe(constraint);
  return pg;
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('users', () => {
  it('fills id, status and timestamps by default', async () => {
    const u = await insertUser({ fullName: 'Ada Lovelace' });
    expect(u.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(u.status).toBe('active');
    expect(u.createdAt).toBeInstanceOf(Date);
    expect(u.updatedAt.getTime()).toBe(u.createdAt.getTime());
  });

  it('rejects an email that differs only in case (23505, users_email_lower_unique)', async () => {
    const email = `Case.${unique()}@Example.com`;
    await insertUser({ email });
    await expectPgError(
      () => db.insert(users).values(userData({ email: email.toUpperCase() })),
      PG_ERROR.uniqueViolation,
      CONSTRAINTS.usersEmailUnique,
    );
  });

  it('rejects a username that differs only in case (23505, users_username_lower_unique)', async () => {
    const username = `Alice_${unique()}`;
    await insertUser({ username });
    await expectPgError(
      () => db.insert(users).values(userData({ username: username.toLowerCase() })),
      PG_ERROR.uniqueViolation,
      CONSTRAINTS.usersUsernameUnique,
    );
  });

  it('finds users case-insensitively through lower()', async () => {
    const u = await insertUser({ email: `Mixed.${unique()}@Example.COM` });
    const [found] = await db
      .select({ id: users.id })
      .from(users)
      .where(eq(dsql`lower(${users.email})`, u.email.toLowerCase()));
    expect(found?.id).toBe(u.id);
  });

  it('checks username length', async () => {
    await expectPgError(() => db.insert(users).values(userData({ username: 'ab' })), PG_ERROR.checkViolation, 'users_username_length');
    await expectPgError(
      () => db.insert(users).values(userData({ username: 'x'.repeat(LIMITS.usernameMax + 1) })),
      PG_ERROR.checkViolation,
      'users_username_length',
    );
    await insertUser({ username: `${unique()}`.padEnd(LIMITS.usernameMax, 'x').slice(0, LIMITS.usernameMax) });
  });

  it('checks email format and length', async () => {
    await expectPgError(() => db.insert(users).values(userData({ email: 'not-an-email' })), PG_ERROR.checkViolation, 'users_email_format');
    await expectPgError(
      () => db.insert(users).values(userData({ email: `${'a'.repeat(250)}@x.io` })),
      PG_ERROR.checkViolation,
      'users_email_format',
    );
  });

  it('checks full_name length but allows null', async () => {
    await expectPgError(() => db.insert(users).values(userData({ fullName: '' })), PG_ERROR.checkViolation, 'users_full_name_length');
    const u = await insertUser({ fullName: null });
    expect(u.fullName).toBeNull();
  });

  it('rejects an unknown status (22P02)', async () => {
    await expectPgError(
      () => db.insert(users).values(userData({ status: 'banned' as never })),
      PG_ERROR.invalidTextRepresentation,
    );
  });

  it('bumps updated_at on update (trigger), keeps created_at', async () => {
    const u = await insertUser();
    // now() is the transaction start: the update runs in a later transaction.
    await new Promise((r) => setTimeout(r, 5));
    const [after] = await db.update(users).set({ fullName: 'Renamed' }).where(eq(users.id, u.id)).returning();
    expect(after?.createdAt.getTime()).toBe(u.createdAt.getTime());
    expect(after?.updatedAt.getTime()).toBeGreaterThan(u.updatedAt.getTime());
  });
});

describe('meetings', () => {
  let creator: User;
  beforeAll(async () => {
    creator = await insertUser();
  });

  it('fills defaults: status scheduled, settings {}', async () => {
    const m = await insertMeeting(creator.id);
    expect(m.status).toBe('scheduled');
    expect(m.settings).toEqual({});
    expect(m.startedAt).toBeNull();
    expect(m.endedAt).toBeNull();
  });

  it.each([0, -5, LIMITS.durationMinutesMax + 1])('rejects duration_minutes = %i (23514)', async (durationMinutes) => {
    await expectPgError(
      () => db.insert(meetings).values(meetingData(creator.id, { durationMinutes })),
      PG_ERROR.checkViolation,
      'meetings_duration_minutes_range',
    );
  });

  it('accepts the duration bounds 1 and the maximum', async () => {
    await insertMeeting(creator.id, { durationMinutes: 1 });
    await insertMeeting(creator.id, { durationMinutes: LIMITS.durationMinutesMax });
  });

  it('rejects an unknown status (22P02)', async () => {
    await expectPgError(
      () => db.insert(meetings).values(meetingData(creator.id, { status: 'paused' as never })),
      PG_ERROR.invalidTextRepresentation,
    );
    const m = await insertMeeting(creator.id);
    await expectPgError(
      () => db.execute(dsql`update meetings set status = 'archived' where id = ${m.id}`),
      PG_ERROR.invalidTextRepresentation,
    );
  });

  it('rejects a duplicate meeting_code (23505)', async () => {
    const code = newCode();
    await insertMeeting(creator.id, { meetingCode: code });
    await expectPgError(
      () => db.insert(meetings).values(meetingData(creator.id, { meetingCode: code })),
      PG_ERROR.uniqueViolation,
      CONSTRAINTS.meetingsCodeUnique,
    );
  });

  it.each(['abc-defg-hi', 'ABC-DEFG-HIJ', 'abc_defg_hij', 'abcdefghij', 'abc-d3fg-hij', ' abc-defg-hij'])(
    'rejects the malformed meeting_code %j (23514)',
    async (meetingCode) => {
      await expectPgError(
        () => db.insert(meetings).values(meetingData(creator.id, { meetingCode })),
        PG_ERROR.checkViolation,
        'meetings_meeting_code_format',
      );
    },
  );

  it('checks the title length', async () => {
    await expectPgError(() => db.insert(meetings).values(meetingData(creator.id, { title: '' })), PG_ERROR.checkViolation, 'meetings_title_length');
    await expectPgError(
      () => db.insert(meetings).values(meetingData(creator.id, { title: 't'.repeat(LIMITS.meetingTitleMax + 1) })),
      PG_ERROR.checkViolation,
      'meetings_title_length',
    );
  });

  it('keeps settings a JSON object and can query it with @> (GIN)', async () => {
    await expectPgError(
      () => db.insert(meetings).values(meetingData(creator.id, { settings: [1, 2] as never })),
      PG_ERROR.checkViolation,
      'meetings_settings_is_object',
    );
    const m = await insertMeeting(creator.id, { settings: { recording: true, waitingRoom: { enabled: false } } });
    const rows = await db
      .select({ id: meetings.id })
      .from(meetings)
      .where(dsql`${meetings.settings} @> ${JSON.stringify({ recording: true })}::jsonb`);
    expect(rows.map((r) => r.id)).toContain(m.id);
    expect((await db.select().from(meetings).where(eq(meetings.id, m.id)))[0]?.settings).toEqual({
      recording: true,
      waitingRoom: { enabled: false },
    });
  });

  it('rejects ended_at before started_at', async () => {
    await expectPgError(
      () =>
        db.insert(meetings).values(
          meetingData(creator.id, { startedAt: new Date('2026-12-01T10:00:00Z'), endedAt: new Date('2026-12-01T09:59:59Z') }),
        ),
      PG_ERROR.checkViolation,
      'meetings_ended_after_started',
    );
  });

  it('rejects a meeting whose creator does not exist (23503)', async () => {
    await expectPgError(
      () => db.insert(meetings).values(meetingData(MISSING_ID)),
      PG_ERROR.foreignKeyViolation,
      CONSTRAINTS.meetingsCreatorFk,
    );
  });

  it('bumps updated_at on update (trigger)', async () => {
    const m = await insertMeeting(creator.id);
    await new Promise((r) => setTimeout(r, 5));
    await db.execute(dsql`update meetings set status = 'ongoing', started_at = now() where id = ${m.id}`);
    const [after] = await db.select().from(meetings).where(eq(meetings.id, m.id));
    expect(after?.status).toBe('ongoing');
    expect(after?.updatedAt.getTime()).toBeGreaterThan(m.updatedAt.getTime());
  });
});

describe('meeting_participants', () => {
  let host: User;
  let guest: User;
  let meeting: Meeting;
  beforeAll(async () => {
    host = await insertUser();
    guest = await insertUser();
    meeting = await insertMeeting(host.id);
    await db.insert(meetingParticipants).values([
      { meetingId: meeting.id, userId: host.id, role: 'host', status: 'accepted' },
      { meetingId: meeting.id, userId: guest.id },
    ]);
  });

  it('fills defaults: role attendee, status pending, invited_at now', async () => {
    const [p] = await db.select().from(meetingParticipants).where(eq(meetingParticipants.userId, guest.id));
    expect(p).toMatchObject({ role: 'attendee', status: 'pending', joinedAt: null, leftAt: null });
    expect(p?.invitedAt).toBeInstanceOf(Date);
  });

  it('rejects the same user twice in a meeting (23505)', async () => {
    await expectPgError(
      () => db.insert(meetingParticipants).values({ meetingId: meeting.id, userId: guest.id, role: 'cohost' }),
      PG_ERROR.uniqueViolation,
      CONSTRAINTS.participantsMeetingUserUnique,
    );
  });

  it('allows one host per meeting, any number of cohosts', async () => {
    const other = await insertUser();
    await expectPgError(
      () => db.insert(meetingParticipants).values({ meetingId: meeting.id, userId: other.id, role: 'host' }),
      PG_ERROR.uniqueViolation,
      CONSTRAINTS.participantsOneHost,
    );
    const cohosts = [await insertUser(), await insertUser()];
    await db.insert(meetingParticipants).values(cohosts.map((u) => ({ meetingId: meeting.id, userId: u.id, role: 'cohost' as const })));
  });

  it('rejects a participant for a missing meeting or a missing user (23503)', async () => {
    await expectPgError(
      () => db.insert(meetingParticipants).values({ meetingId: MISSING_ID, userId: guest.id }),
      PG_ERROR.foreignKeyViolation,
      CONSTRAINTS.participantsMeetingFk,
    );
    await expectPgError(
      () => db.insert(meetingParticipants).values({ meetingId: meeting.id, userId: MISSING_ID }),
      PG_ERROR.foreignKeyViolation,
      CONSTRAINTS.participantsUserFk,
    );
  });

  it('rejects an unknown role or status (22P02)', async () => {
    const u = await insertUser();
    await expectPgError(
      () => db.insert(meetingParticipants).values({ meetingId: meeting.id, userId: u.id, role: 'owner' as never }),
      PG_ERROR.invalidTextRepresentation,
    );
    await expectPgError(
      () => db.insert(meetingParticipants).values({ meetingId: meeting.id, userId: u.id, status: 'maybe' as never }),
      PG_ERROR.invalidTextRepresentation,
    );
  });

  it('rejects left_at before joined_at', async () => {
    await expectPgError(
      () =>
        db
          .update(meetingParticipants)
          .set({ joinedAt: new Date('2026-12-01T10:05:00Z'), leftAt: new Date('2026-12-01T10:00:00Z') })
          .where(eq(meetingParticipants.userId, guest.id)),
      PG_ERROR.checkViolation,
      'meeting_participants_left_after_joined',
    );
  });
});

describe('meeting_stats', () => {
  it('rejects negative counters (23514) and a second row per meeting (23505)', async () => {
    const u = await insertUser();
    const m = await insertMeeting(u.id);
    for (const field of ['participantCount', 'peakParticipants', 'durationSeconds', 'totalParticipantSeconds', 'chatMessageCount'] as const) {
      await expectPgError(
        () => db.insert(meetingStats).values({ meetingId: m.id, [field]: -1 }),
        PG_ERROR.checkViolation,
        'meeting_stats_non_negative',
      );
    }
    await db.insert(meetingStats).values({ meetingId: m.id, participantCount: 3, peakParticipants: 2, durationSeconds: 1800 });
    await expectPgError(() => db.insert(meetingStats).values({ meetingId: m.id }), PG_ERROR.uniqueViolation, 'meeting_stats_pkey');
    await expectPgError(
      () => db.insert(meetingStats).values({ meetingId: MISSING_ID }),
      PG_ERROR.foreignKeyViolation,
      CONSTRAINTS.statsMeetingFk,
    );
  });
});

describe('ON DELETE behaviour', () => {
  const countWhere = async (table: typeof meetingParticipants | typeof meetingStats, meetingId: string) => {
    const col = table === meetingStats ? meetingStats.meetingId : meetingParticipants.meetingId;
    const [row] = await db.select({ n: dsql<number>`count(*)::int` }).from(table).where(eq(col, meetingId));
    return row?.n ?? -1;
  };

  it('deleting a meeting deletes its participants and stats', async () => {
    const h = await insertUser();
    const g = await insertUser();
    const m = await insertMeeting(h.id);
    await db.insert(meetingParticipants).values([
      { meetingId: m.id, userId: h.id, role: 'host' },
      { meetingId: m.id, userId: g.id },
    ]);
    await db.insert(meetingStats).values({ meetingId: m.id, participantCount: 2 });
    expect(await countWhere(meetingParticipants, m.id)).toBe(2);
    expect(await countWhere(meetingStats, m.id)).toBe(1);

    await db.delete(meetings).where(eq(meetings.id, m.id));
    expect(await countWhere(meetingParticipants, m.id)).toBe(0);
    expect(await countWhere(meetingStats, m.id)).toBe(0);
    // the users themselves are untouched
    expect(await db.select({ id: users.id }).from(users).where(eq(users.id, g.id))).toHaveLength(1);
  });

  it('refuses to delete a user who created meetings (RESTRICT, 23503); the meeting survives', async () => {
    const h = await insertUser();
    const m = await insertMeeting(h.id);
    await expectPgError(() => db.delete(users).where(eq(users.id, h.id)), PG_ERROR.foreignKeyViolation, CONSTRAINTS.meetingsCreatorFk);
    expect(await db.select({ id: meetings.id }).from(meetings).where(eq(meetings.id, m.id))).toHaveLength(1);
    // After the meetings are gone, the user can be deleted.
    await db.delete(meetings).where(eq(meetings.creatorId, h.id));
    await db.delete(users).where(eq(users.id, h.id));
    expect(await db.select({ id: users.id }).from(users).where(eq(users.id, h.id))).toHaveLength(0);
  });

  it("deleting a user removes only their own participation rows; others' meetings stay", async () => {
    const h = await insertUser();
    const g = await insertUser();
    const m = await insertMeeting(h.id);
    await db.insert(meetingParticipants).values([
      { meetingId: m.id, userId: h.id, role: 'host' },
      { meetingId: m.id, userId: g.id },
    ]);
    await db.delete(users).where(eq(users.id, g.id));
    const rows = await db.select().from(meetingParticipants).where(eq(meetingParticipants.meetingId, m.id));
    expect(rows.map((r) => r.userId)).toEqual([h.id]);
    expect(await db.select({ id: meetings.id }).from(meetings).where(eq(meetings.id, m.id))).toHaveLength(1);
  });
});

describe('create-meeting transaction (meeting + host + invitees)', () => {
  async function createMeeting(creatorId: string, code: string, inviteeIds: string[]) {
    return db.transaction(async (tx) => {
      const [m] = await tx.insert(meetings).values(meetingData(creatorId, { meetingCode: code })).returning();
      if (!m) throw new Error('no meeting');
      await tx.insert(meetingParticipants).values({ meetingId: m.id, userId: creatorId, role: 'host', status: 'accepted' });
      for (const userId of inviteeIds) {
        const row: NewMeetingParticipant = { meetingId: m.id, userId };
        await tx.insert(meetingParticipants).values(row);
      }
      return m;
    });
  }

  async function writtenFor(code: string) {
    const ms = await db.select().from(meetings).where(eq(meetings.meetingCode, code));
    const ps = await db
      .select({ id: meetingParticipants.id })
      .from(meetingParticipants)
      .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
      .where(eq(meetings.meetingCode, code));
    return { meetings: ms.length, participants: ps.length };
  }

  it('writes everything when all invitees are valid', async () => {
    const h = await insertUser();
    const invitees = [await insertUser(), await insertUser()];
    const code = newCode();
    await createMeeting(h.id, code, invitees.map((u) => u.id));
    expect(await writtenFor(code)).toEqual({ meetings: 1, participants: 3 });
  });

  it('writes nothing when one invitee does not exist (23503 rolls back the meeting and host)', async () => {
    const h = await insertUser();
    const ok = await insertUser();
    const code = newCode();
    await expectPgError(() => createMeeting(h.id, code, [ok.id, MISSING_ID]), PG_ERROR.foreignKeyViolation, CONSTRAINTS.participantsUserFk);
    expect(await writtenFor(code)).toEqual({ meetings: 0, participants: 0 });
    expect(await db.select({ id: meetingParticipants.id }).from(meetingParticipants).where(eq(meetingParticipants.userId, ok.id))).toHaveLength(0);
  });

  it('writes nothing when an invitee is listed twice (23505)', async () => {
    const h = await insertUser();
    const ok = await insertUser();
    const code = newCode();
    const err = await rejection(() => createMeeting(h.id, code, [ok.id, ok.id]));
    expect(isPgError(err, PG_ERROR.uniqueViolation, CONSTRAINTS.participantsMeetingUserUnique)).toBe(true);
    expect(await writtenFor(code)).toEqual({ meetings: 0, participants: 0 });
  });

  it('tx.rollback() also leaves nothing', async () => {
    const h = await insertUser();
    const code = newCode();
    await rejection(() =>
      db.transaction(async (tx) => {
        await tx.insert(meetings).values(meetingData(h.id, { meetingCode: code }));
        tx.rollback();
      }),
    );
    expect(await writtenFor(code)).toEqual({ meetings: 0, participants: 0 });
  });
});

describe('relational queries', () => {
  it('loads a meeting with creator, participants and stats', async () => {
    const h = await insertUser();
    const m = await insertMeeting(h.id);
    await db.insert(meetingParticipants).values({ meetingId: m.id, userId: h.id, role: 'host' });
    await db.insert(meetingStats).values({ meetingId: m.id, peakParticipants: 1 });
    const found = await db.query.meetings.findFirst({
      where: eq(meetings.id, m.id),
      with: { creator: true, participants: true, stats: true },
    });
    expect(found?.creator.id).toBe(h.id);
    expect(found?.participants.map((p) => p.role)).toEqual(['host']);
    expect(found?.stats?.peakParticipants).toBe(1);
  });
});

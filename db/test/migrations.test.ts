// Migrations against a real PostgreSQL: a fresh throwaway database gets the full schema,
// re-running is a no-op, concurrent runs are safe, the committed SQL matches schema.ts,
// and failures are reported as one clear line.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { pgTable, text } from 'drizzle-orm/pg-core';
import * as schema from '../src/schema.ts';
import {
  meetingStatusValues,
  participantRoleValues,
  participantStatusValues,
  userStatusValues,
} from '../src/schema.ts';
import { describeMigrateError, migrate, MIGRATIONS_FOLDER, MigrationError } from '../src/migrate.ts';
import type { MigrateResult } from '../src/migrate.ts';
import { createThrowawayDb, rejection } from './helpers.ts';
import type { ThrowawayDb } from './helpers.ts';

const execFileAsync = promisify(execFile);
const MIGRATE_SCRIPT = fileURLToPath(new URL('../src/migrate.ts', import.meta.url));

interface Journal {
  entries: { idx: number; tag: string; when: number; version: string; breakpoints: boolean }[];
}
const journal: Journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
const allTags = journal.entries.map((e) => e.tag);

/** Everything the migrations define, as sorted text lines (to compare before/after). */
async function schemaFingerprint(sql: Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
      from information_schema.columns where table_schema = 'public'
    union all
    select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname = 'public'
    union all
    select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      from pg_constraint where connamespace = 'public'::regnamespace
    union all
    select 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' order by e.enumsortorder)
      from pg_type t join pg_enum e on e.enumtypid = t.oid group by t.typname
    union all
    select 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
    union all
    select 'function ' || proname from pg_proc where pronamespace = 'public'::regnamespace
    order by 1`;
  return rows.map((r) => r.line);
}

describe('migrations on a fresh database', () => {
  let target: ThrowawayDb;
  let sql: Sql;
  let first: MigrateResult;

  beforeAll(async () => {
    target = await createThrowawayDb('mig');
    first = await migrate(target.url);
    sql = postgres(target.url, { max: 2, onnotice: () => {} });
  });

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await target?.drop();
  });

  it('applies every migration in the journal, in order', () => {
    expect(allTags.length).toBeGreaterThanOrEqual(2);
    expect(first).toEqual({ applied: allTags, alreadyApplied: 0, total: allTags.length, unknown: 0 });
  });

  it('creates the four tables', async () => {
    const rows = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables
       where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`;
    expect(rows.map((r) => r.table_name)).toEqual(['meeting_participants', 'meeting_stats', 'meetings', 'users']);
  });

  it('uses uuid ids with gen_random_uuid(), timestamptz and snake_case columns', async () => {
    const rows = await sql<{ c: string; data_type: string; is_nullable: string; column_default: string | null }[]>`
      select table_name || '.' || column_name as c, data_type, is_nullable, column_default
        from information_schema.columns where table_schema = 'public'`;
    const col = (name: string) => rows.find((r) => r.c === name);
    for (const t of ['users', 'meetings', 'meeting_participants']) {
      expect(col(`${t}.id`)).toMatchObject({ data_type: 'uuid', is_nullable: 'NO', column_default: 'gen_random_uuid()' });
    }
    for (const c of [
      'users.created_at',
      'users.updated_at',
      'meetings.start_time',
      'meetings.started_at',
      'meetings.ended_at',
      'meetings.created_at',
      'meetings.updated_at',
      'meeting_participants.invited_at',
      'meeting_participants.joined_at',
      'meeting_participants.left_at',
      'meeting_stats.created_at',
    ]) {
      expect(col(c)?.data_type, c).toBe('timestamp with time zone');
    }
    expect(col('users.full_name')?.is_nullable).toBe('YES');
    expect(col('users.password_hash')?.is_nullable).toBe('NO');
    expect(col('meetings.settings')).toMatchObject({ data_type: 'jsonb', is_nullable: 'NO', column_default: "'{}'::jsonb" });
    expect(col('meetings.status')?.column_default).toBe("'scheduled'::meeting_status");
    expect(col('meetings.duration_minutes')?.data_type).toBe('integer');
    expect(col('meeting_stats.meeting_id')?.data_type).toBe('uuid');
    expect(rows.every((r) => /^[a-z_]+\.[a-z_]+$/.test(r.c))).toBe(true);
  });

  it('creates the enums with exactly the exported values', async () => {
    const rows = await sql<{ typname: string; labels: string[] }[]>`
      select t.typname, array_agg(e.enumlabel order by e.enumsortorder) as labels
        from pg_type t join pg_enum e on e.enumtypid = t.oid group by t.typname`;
    const labels = Object.fromEntries(rows.map((r) => [r.typname, r.labels]));
    expect(labels).toEqual({
      user_status: [...userStatusValues],
      meeting_status: [...meetingStatusValues],
      participant_role: [...participantRoleValues],
      participant_status: [...participantStatusValues],
    });
  });

  it('creates the indexes: lower() unique, GIN on settings, composite and partial ones', async () => {
    const rows = await sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes where schemaname = 'public'`;
    const def = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
    expect(def.users_username_lower_unique).toMatch(/^CREATE UNIQUE INDEX .* ON public\.users USING btree \(lower\(username\)\)$/);
    expect(def.users_email_lower_unique).toMatch(/^CREATE UNIQUE INDEX .* ON public\.users USING btree \(lower\(email\)\)$/);
    expect(def.meetings_settings_gin_idx).toMatch(/ON public\.meetings USING gin \(settings\)$/);
    expect(def.meetings_creator_id_status_idx).toMatch(/ON public\.meetings USING btree \(creator_id, status\)$/);
    expect(def.meetings_start_time_idx).toMatch(/ON public\.meetings USING btree \(start_time\)$/);
    expect(def.meetings_meeting_code_unique).toMatch(/^CREATE UNIQUE INDEX .* USING btree \(meeting_code\)$/);
    expect(def.meeting_participants_meeting_user_unique).toMatch(/^CREATE UNIQUE INDEX .* USING btree \(meeting_id, user_id\)$/);
    expect(def.meeting_participants_user_id_status_idx).toMatch(/USING btree \(user_id, status\)$/);
    expect(def.meeting_participants_one_host_per_meeting).toMatch(
      /^CREATE UNIQUE INDEX .* USING btree \(meeting_id\) WHERE \(role = 'host'::participant_role\)$/,
    );
  });

  it('creates the foreign keys with the chosen ON DELETE rules', async () => {
    const rows = await sql<{ conname: string; def: string }[]>`
      select conname, pg_get_constraintdef(oid) as def from pg_constraint
       where contype = 'f' and connamespace = 'public'::regnamespace order by conname`;
    expect(Object.fromEntries(rows.map((r) => [r.conname, r.def]))).toEqual({
      meeting_participants_meeting_id_fkey:
        'FOREIGN KEY (meeting_id) REFERENCES meetings(id) ON UPDATE CASCADE ON DELETE CASCADE',
      meeting_participants_user_id_fkey: 'FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE',
      meeting_stats_meeting_id_fkey: 'FOREIGN KEY (meeting_id) REFERENCES meetings(id) ON UPDATE CASCADE ON DELETE CASCADE',
      meetings_creator_id_fkey: 'FOREIGN KEY (creator_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE RESTRICT',
    });
  });

  it('creates the check constraints', async () => {
    const rows = await sql<{ conname: string }[]>`
      select conname from pg_constraint where contype = 'c' and connamespace = 'public'::regnamespace order by conname`;
    expect(rows.map((r) => r.conname)).toEqual([
      'meeting_participants_left_after_joined',
      'meeting_stats_non_negative',
      'meetings_duration_minutes_range',
      'meetings_ended_after_started',
      'meetings_meeting_code_format',
      'meetings_settings_is_object',
      'meetings_title_length',
      'users_email_format',
      'users_full_name_length',
      'users_password_hash_not_empty',
      'users_username_length',
    ]);
  });

  it('creates the updated_at triggers (custom migration)', async () => {
    const rows = await sql<{ tgname: string }[]>`select tgname from pg_trigger where not tgisinternal order by tgname`;
    expect(rows.map((r) => r.tgname)).toEqual(['meetings_set_updated_at', 'users_set_updated_at']);
  });

  it('is idempotent: a second run applies nothing and changes nothing', async () => {
    const before = await schemaFingerprint(sql);
    const [{ count: rowsBefore } = { count: -1 }] = await sql<{ count: number }[]>`
      select count(*)::int as count from drizzle.__drizzle_migrations`;
    const second = await migrate(target.url);
    expect(second).toEqual({ applied: [], alreadyApplied: allTags.length, total: allTags.length, unknown: 0 });
    expect(await schemaFingerprint(sql)).toEqual(before);
    const [{ count: rowsAfter } = { count: -2 }] = await sql<{ count: number }[]>`
      select count(*)::int as count from drizzle.__drizzle_migrations`;
    expect(rowsAfter).toBe(rowsBefore);
    expect(rowsAfter).toBe(allTags.length);
  });

  describe('with a modified copy of the migrations folder', () => {
    let folder: string;
    beforeAll(() => {
      folder = mkdtempSync(path.join(tmpdir(), 'huddle-migrations-'));
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    const copy = () => {
      rmSync(folder, { recursive: true, force: true });
      cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    };
    const addMigration = (tag: string, when: number, body: string) => {
      const j: Journal = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8'));
      j.entries.push({ idx: j.entries.length, version: '7', when, tag, breakpoints: true });
      writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify(j, null, 2));
      writeFileSync(path.join(folder, `${tag}.sql`), body);
    };

    it('refuses to run when an applied migration was edited afterwards', async () => {
      copy();
      const last = allTags[allTags.length - 1];
      appendFileSync(path.join(folder, `${last}.sql`), '\n-- edited\n');
      const err = await rejection(() => migrate(target.url, { migrationsFolder: folder }));
      expect(err).toBeInstanceOf(MigrationError);
      expect(describeMigrateError(err)).toBe(
        `migration ${last} was changed after it was applied to this database; restore the committed file or add a new migration instead`,
      );
    });

    it('refuses a pending migration older than the newest applied one (drizzle would skip it)', async () => {
      copy();
      const first = journal.entries[0];
      if (!first) throw new Error('empty journal');
      addMigration('0099_stranded', first.when + 1, 'create table stranded (id int);');
      const err = await rejection(() => migrate(target.url, { migrationsFolder: folder }));
      expect(err).toBeInstanceOf(MigrationError);
      expect(describeMigrateError(err)).toMatch(/^migration 0099_stranded is older than the newest applied migration/);
    });

    it('rolls back a failing migration completely and reports the SQL error in one line', async () => {
      copy();
      addMigration(
        '0099_broken',
        Date.now() + 60_000,
        'create table half_done (id int);--> statement-breakpoint\ninsert into no_such_table values (1);',
      );
      const err = await rejection(() => migrate(target.url, { migrationsFolder: folder }));
      const line = describeMigrateError(err);
      expect(line).toMatch(/^PostgreSQL error 42P01: relation "no_such_table" does not exist in statement: insert into no_such_table/);
      expect(line).not.toContain('\n');
      const [exists] = await sql<{ t: string | null }[]>`select to_regclass('public.half_done')::text as t`;
      expect(exists?.t).toBeNull();
      const [{ count } = { count: -1 }] = await sql<{ count: number }[]>`
        select count(*)::int as count from drizzle.__drizzle_migrations`;
      expect(count).toBe(allTags.length);
    });
  });
});

describe('concurrent migrate runs', () => {
  let target: ThrowawayDb;
  beforeAll(async () => {
    target = await createThrowawayDb('mig');
  });
  afterAll(async () => {
    await target?.drop();
  });

  it('serialise on the advisory lock: one applies everything, the others find nothing to do', async () => {
    const results = await Promise.all([migrate(target.url), migrate(target.url), migrate(target.url)]);
    const appliedCounts = results.map((r) => r.applied.length).sort();
    expect(appliedCounts).toEqual([0, 0, allTags.length]);
  });
});

describe('committed migrations match schema.ts', () => {
  const latestSnapshot = () => {
    const last = journal.entries[journal.entries.length - 1];
    if (!last) throw new Error('empty journal');
    const file = path.join(MIGRATIONS_FOLDER, 'meta', `${String(last.idx).padStart(4, '0')}_snapshot.json`);
    return JSON.parse(readFileSync(file, 'utf8'));
  };

  it('has no schema change waiting for `npm run db:generate`', async () => {
    const prev = latestSnapshot();
    const statements = await generateMigration(prev, generateDrizzleJson(schema, prev.id));
    expect(statements, 'schema.ts changed without a new migration: run `npm run db:generate`').toEqual([]);
  });

  it('would notice a drift (sanity check of the check above)', async () => {
    const prev = latestSnapshot();
    const drifted = { ...schema, driftProbe: pgTable('drift_probe', { id: text('id') }) };
    const statements = await generateMigration(prev, generateDrizzleJson(drifted, prev.id));
    expect(statements.join('\n')).toContain('CREATE TABLE "drift_probe"');
  });
});

describe('npm run db:migrate as a script', () => {
  it('exits non-zero with one clear line when the server refuses the connection', async () => {
    const err = (await rejection(() =>
      execFileAsync(process.execPath, [MIGRATE_SCRIPT], {
        env: { ...process.env, DATABASE_URL: 'postgres://huddle:secret@127.0.0.1:1/huddle' },
        timeout: 20_000,
      }),
    )) as { code?: number; stdout: string; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stdout).toBe('');
    expect(err.stderr).toBe(
      'db:migrate: failed for postgres://huddle:***@127.0.0.1:1/huddle: cannot connect: connection refused (127.0.0.1:1); is PostgreSQL running?\n',
    );
  });

  it('migrates a fresh database, then reports it up to date', async () => {
    const target = await createThrowawayDb('mig');
    try {
      const env = { ...process.env, DATABASE_URL: target.url };
      const fresh = await execFileAsync(process.execPath, [MIGRATE_SCRIPT], { env, timeout: 20_000 });
      expect(fresh.stderr).toBe('');
      expect(fresh.stdout).toContain(`applied ${allTags.length} migration(s), 0 already applied`);
      for (const tag of allTags) expect(fresh.stdout).toContain(`db:migrate: applied ${tag}\n`);
      const again = await execFileAsync(process.execPath, [MIGRATE_SCRIPT], { env, timeout: 20_000 });
      expect(again.stderr).toBe('');
      expect(again.stdout).toMatch(/is up to date \(\d+\/\d+ migrations applied, nothing to do\)/);
      expect(again.stdout).not.toContain('huddle:huddle@'); // password redacted
    } finally {
      await target.drop();
    }
  });
});

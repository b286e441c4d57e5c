// Applies the committed migrations in db/migrations (Node only; never imported by the Worker).
//
//   npm run db:migrate                      # DATABASE_URL, default the local dev database
//   import { migrate } from '@huddle/db/migrate'; await migrate(url);
//
// On top of drizzle-orm's postgres-js migrator this
// - serialises concurrent runs with an advisory lock (two nodes starting at once),
// - refuses to run when a migration already applied here was edited afterwards (hash
//   mismatch), or when a pending migration is older than the newest applied one (drizzle
//   would silently skip it — typical after merging two branches that both added one),
// - reports what it applied, and turns failures into one readable line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));
export const MIGRATIONS_SCHEMA = 'drizzle';
export const MIGRATIONS_TABLE = '__drizzle_migrations';
export const DEFAULT_DATABASE_URL = 'postgres://huddle:huddle@127.0.0.1:5432/huddle';
/** Key for pg_advisory_lock, shared by every process that migrates this database. */
const LOCK_KEY = 'huddle:db:migrate';

export interface MigrateOptions {
  /** Folder with the SQL files and meta/_journal.json (default: db/migrations). */
  migrationsFolder?: string;
  /** How long to wait for the server to accept the connection (default 10). */
  connectTimeoutSeconds?: number;
}

export interface MigrateResult {
  /** Tags applied by this run, in order (e.g. ['0000_init']). */
  applied: string[];
  /** Migrations that were already applied before this run. */
  alreadyApplied: number;
  /** Migrations in the local journal. */
  total: number;
  /** Rows in the migrations table that match no local migration (database is newer than this code). */
  unknown: number;
}

/** A failure worth one line to the user (no stack trace). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface LocalMigration {
  tag: string;
  when: number;
  hash: string;
}

interface AppliedRow {
  hash: string;
  created_at: string | number | null;
}

function readLocalMigrations(folder: string): LocalMigration[] {
  let journal: { entries: { tag: string; when: number }[] };
  try {
    journal = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8'));
  } catch (err) {
    throw new MigrationError(`cannot read ${path.join(folder, 'meta', '_journal.json')}: ${(err as Error).message}`);
  }
  const files = readMigrationFiles({ migrationsFolder: folder });
  return journal.entries.map((entry, i) => {
    const file = files[i];
    if (!file || file.folderMillis !== entry.when) throw new MigrationError(`migration journal and files disagree at ${entry.tag}`);
    return { tag: entry.tag, when: entry.when, hash: file.hash };
  });
}

/**
 * Applies the pending migrations to the database at `url` and reports what it did.
 * Safe to run on a fresh or an up-to-date database, and from several processes at once.
 * Throws MigrationError for problems with the migrations themselves; driver and SQL errors
 * pass through (describeMigrateError() turns any of them into one line).
 */
export async function migrate(url: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const folder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const local = readLocalMigrations(folder);

  // One connection: the advisory lock is per session, and drizzle's migration
  // transaction must run on the session that holds it.
  const sql = postgres(url, {
    max: 1,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    onnotice: () => {}, // "schema drizzle already exists, skipping" etc.
    connection: { application_name: 'huddle-db-migrate' },
  });
  let failed = false;
  try {
    await sql`select pg_advisory_lock(hashtext(${LOCK_KEY}))`;

    const readApplied = async (): Promise<AppliedRow[]> => {
      const [exists] = await sql<{ t: string | null }[]>`select to_regclass(${`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`}) as t`;
      if (!exists?.t) return [];
      return sql<AppliedRow[]>`select hash, created_at from ${sql(MIGRATIONS_SCHEMA)}.${sql(MIGRATIONS_TABLE)} order by created_at`;
    };

    const before = await readApplied();
    const byWhen = new Map(local.map((m) => [m.when, m]));
    const appliedWhens = new Set<number>();
    let unknown = 0;
    for (const row of before) {
      const when = Number(row.created_at);
      const m = byWhen.get(when);
      if (!m) {
        unknown++;
        continue;
      }
      if (m.hash !== row.hash) {
        throw new MigrationError(
          `migration ${m.tag} was changed after it was applied to this database; restore the committed file or add a new migration instead`,
        );
      }
      appliedWhens.add(when);
    }
    const newestApplied = Math.max(-Infinity, ...before.map((r) => Number(r.created_at)));
    const pending = local.filter((m) => !appliedWhens.has(m.when));
    const stranded = pending.filter((m) => m.when <= newestApplied);
    if (stranded.length > 0) {
      throw new MigrationError(
        `migration ${stranded.map((m) => m.tag).join(', ')} is older than the newest applied migration and would be skipped; regenerate it (drizzle-kit drop, then generate)`,
      );
    }

    if (pending.length > 0) {
      await drizzleMigrate(drizzle(sql), {
        migrationsFolder: folder,
        migrationsSchema: MIGRATIONS_SCHEMA,
        migrationsTable: MIGRATIONS_TABLE,
      });
    }

    const after = await readApplied();
    const afterWhens = new Set(after.map((r) => Number(r.created_at)));
    const applied = pending.filter((m) => afterWhens.has(m.when)).map((m) => m.tag);
    if (applied.length !== pending.length) {
      throw new MigrationError(`expected to apply ${pending.length} migration(s), applied ${applied.length}`);
    }
    return { applied, alreadyApplied: appliedWhens.size, total: local.length, unknown };
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // Ending the session also releases the advisory lock. When the run already failed,
    // report that failure rather than a secondary one from closing the connection.
    await sql.end({ timeout: 5 }).catch((endErr: unknown) => {
      if (!failed) throw endErr;
    });
  }
}

/** Credentials hidden, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** One line describing a failure: driver/network errors, SQL errors inside a migration, etc. */
export function describeMigrateError(err: unknown): string {
  if (err instanceof MigrationError) return err.message;
  // drizzle wraps SQL errors: DrizzleQueryError("Failed query: <sql>", cause: PostgresError)
  let e: unknown = err;
  let query: string | undefined;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const o = e as { query?: unknown; cause?: unknown; code?: unknown; severity?: unknown };
    if (typeof o.query === 'string' && o.cause) query = o.query;
    if (typeof o.code === 'string' || !o.cause) break;
    e = o.cause;
  }
  if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
  const o = (e ?? {}) as { message?: unknown; code?: unknown; severity?: unknown; address?: unknown; port?: unknown };
  const message = typeof o.message === 'string' && o.message ? o.message : String(e);
  const code = typeof o.code === 'string' ? o.code : undefined;
  if (code === 'ECONNREFUSED') return `cannot connect: connection refused (${message.replace(/^connect ECONNREFUSED\s*/, '') || 'server'}); is PostgreSQL running?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot connect: host not found (${message})`;
  if (code === 'CONNECT_TIMEOUT') return `cannot connect: timed out (${message})`;
  if (typeof o.severity === 'string') {
    const where = query ? ` in statement: ${query.replace(/\s+/g, ' ').trim().slice(0, 120)}` : '';
    return `PostgreSQL error ${code}: ${message}${where}`;
  }
  return code ? `${message} (${code})` : message;
}

if (import.meta.main) {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const target = redactUrl(url);
  const started = performance.now();
  try {
    const r = await migrate(url);
    const ms = Math.round(performance.now() - started);
    if (r.applied.length === 0) {
      console.log(`db:migrate: ${target} is up to date (${r.alreadyApplied}/${r.total} migrations applied, nothing to do) [${ms} ms]`);
    } else {
      for (const tag of r.applied) console.log(`db:migrate: applied ${tag}`);
      console.log(
        `db:migrate: ${target}: applied ${r.applied.length} migration(s), ${r.alreadyApplied} already applied, ${r.total} total [${ms} ms]`,
      );
    }
    if (r.unknown > 0) {
      console.warn(`db:migrate: warning: the database has ${r.unknown} applied migration(s) this checkout does not know (newer code deployed?)`);
    }
  } catch (err) {
    console.error(`db:migrate: failed for ${target}: ${describeMigrateError(err)}`);
    process.exitCode = 1;
  }
}

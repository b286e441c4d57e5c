import { createNodeDb } from '@huddle/db';
import { migrate } from '@huddle/db/migrate';

/** `url` pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates the benchmark's Postgres database when missing and applies the migrations. */
export async function ensureMigratedDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = createNodeDb(withDatabase(url, 'postgres'), { shared: false, max: 1 });
  try {
    const rows = await admin.sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await admin.sql.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.close();
  }
  await migrate(url);
}

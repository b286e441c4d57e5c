// drizzle-kit config. Run from the repository root: `npm run db:generate`
// (= drizzle-kit generate --config db/drizzle.config.ts); drizzle-kit resolves the paths
// below against the current directory, so they are computed from this file's location.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'drizzle-kit';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromCwd = (p: string) => path.relative(process.cwd(), path.join(here, p)) || '.';

export default defineConfig({
  dialect: 'postgresql',
  schema: fromCwd('src/schema.ts'),
  out: fromCwd('migrations'),
  strict: true,
  verbose: true,
  // Only used by drizzle-kit commands that connect (push/pull/studio); generate is offline.
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle' },
});

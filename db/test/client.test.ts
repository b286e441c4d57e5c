// The client factory: connection-string resolution, the shared Node pool, the per-request
// Workers client, and that the Worker-facing modules stay free of Node-only imports.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  closeSharedDbs,
  createDb,
  createNodeDb,
  createWorkerDb,
  pingDatabase,
  resolveConnectionString,
  WORKERS_CLIENT_OPTIONS,
} from '../src/client.ts';
import { TEST_DATABASE_URL } from './helpers.ts';

afterAll(async () => {
  await closeSharedDbs();
});

describe('resolveConnectionString', () => {
  it('accepts a URL, a Hyperdrive binding, or an env (HYPERDRIVE before DATABASE_URL)', () => {
    expect(resolveConnectionString('postgres://a/b')).toBe('postgres://a/b');
    expect(resolveConnectionString({ connectionString: 'postgres://hd/db' })).toBe('postgres://hd/db');
    expect(resolveConnectionString({ HYPERDRIVE: { connectionString: 'postgres://hd/db' }, DATABASE_URL: 'postgres://plain/db' })).toBe(
      'postgres://hd/db',
    );
    expect(resolveConnectionString({ DATABASE_URL: 'postgres://plain/db' })).toBe('postgres://plain/db');
  });

  it('fails clearly without a connection string', () => {
    expect(() => resolveConnectionString('')).toThrow(/No database connection string/);
    expect(() => resolveConnectionString({ DATABASE_URL: undefined })).toThrow(/No database connection string/);
  });
});

describe('createDb', () => {
  it('Node: shares one pool per connection string, with a configurable max', async () => {
    const a = createDb(TEST_DATABASE_URL, { runtime: 'node', max: 3 });
    const b = createDb(TEST_DATABASE_URL, { runtime: 'node' });
    expect(b).toBe(a);
    expect(a.sql.options.max).toBe(3);
    const [row] = await a.sql<{ one: number }[]>`select 1 as one`;
    expect(row?.one).toBe(1);
  });

  it('Node: shared: false gives a private pool', async () => {
    const shared = createDb(TEST_DATABASE_URL, { runtime: 'node' });
    const own = createDb(TEST_DATABASE_URL, { runtime: 'node', shared: false, max: 2 });
    try {
      expect(own).not.toBe(shared);
      expect(own.sql.options.max).toBe(2);
    } finally {
      await own.sql.end({ timeout: 5 });
    }
  });

  it('Node: createNodeDb is the shared pool; close() is idempotent and drops it from the cache', async () => {
    const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}application_name=huddle_close_test`;
    const a = createNodeDb(url, { max: 2 });
    expect(createDb(url, { runtime: 'node' })).toBe(a);
    await pingDatabase(a);
    await Promise.all([a.close(), a.close()]);
    await a.close();
    const b = createNodeDb(url);
    expect(b).not.toBe(a);
    await pingDatabase(b);
    await b.close();
  });

  it('pingDatabase rejects when the server does not answer', async () => {
    const dead = createWorkerDb('postgres://huddle:huddle@127.0.0.1:1/huddle');
    await expect(pingDatabase(dead)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await dead.sql.end({ timeout: 1 });
  });

  it('Node: rejects a nonsensical pool size', () => {
    expect(() => createDb(TEST_DATABASE_URL, { runtime: 'node', shared: false, max: 0 })).toThrow(RangeError);
  });

  it('Workers: a new single-connection client per call, from env.HYPERDRIVE', async () => {
    const env = { HYPERDRIVE: { connectionString: TEST_DATABASE_URL } };
    const a = createDb(env, { runtime: 'workers' });
    const b = createWorkerDb(env);
    try {
      expect(a).not.toBe(b);
      expect(a.sql.options).toMatchObject({
        max: WORKERS_CLIENT_OPTIONS.max,
        fetch_types: false,
        connect_timeout: WORKERS_CLIENT_OPTIONS.connect_timeout,
      });
      const result = await a.db.transaction(async (tx) => tx.execute<{ one: number }>('select 1 as one'));
      expect([...result][0]?.one).toBe(1);
    } finally {
      // Fine in Node; inside workerd the request's end closes the socket instead.
      await Promise.all([a.sql.end({ timeout: 5 }), b.sql.end({ timeout: 5 })]);
    }
  });
});

describe('modules the Worker loads', () => {
  const workerModules = ['index.ts', 'client.ts', 'schema.ts', 'errors.ts', 'meeting-stats.ts', 'membership.ts'];
  const allowedBare = new Set(['drizzle-orm', 'drizzle-orm/pg-core', 'drizzle-orm/postgres-js', 'postgres']);

  it.each(workerModules)('%s imports no Node-only module and not the migrator', (file) => {
    const source = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1] ?? '');
    expect(source).not.toMatch(/\bimport\s*\(|\brequire\s*\(/); // no dynamic imports hiding from the check
    for (const s of specifiers) {
      if (s.startsWith('./')) expect(workerModules, `${file} imports ${s}`).toContain(s.slice(2));
      else expect(allowedBare.has(s), `${file} imports ${s}`).toBe(true);
    }
  });
});

// Database client factory for both runtimes. Loaded by the Worker: no Node-only imports.
//
//   Workers (edge), per request:  const { db } = createWorkerDb(c.env);  // env.HYPERDRIVE or env.DATABASE_URL
//     -> a new single-connection client every call. Do NOT cache it across requests
//        ("Cannot perform I/O on behalf of a different request") and do NOT call
//        sql.end(): workerd closes the socket when the request ends, and end() under
//        vitest-pool-workers raises "Stream was cancelled" (porsager/postgres#1202).
//   Node (media node, scripts):   const { db, close } = createNodeDb(url, { max: 10 });
//     -> one postgres.js pool per connection string, shared by the whole process;
//        close() it (or closeSharedDbs()) on shutdown.
//   createDb(source) picks one of the two by runtime.
import postgres from 'postgres';
import type { Sql } from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Database = PostgresJsDatabase<Schema>;
/** A transaction handle as passed to `db.transaction(async (tx) => ...)`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DbClient {
  /** Drizzle with the Huddle schema (db.select(), db.query.meetings.findFirst(), ...). */
  db: Database;
  /** The underlying postgres.js client (raw queries, `sql.end()` in Node). */
  sql: Sql;
}

/** The part of a Cloudflare Hyperdrive binding we use. */
export interface HyperdriveBinding {
  connectionString: string;
}

/** Worker bindings (or process.env) that may carry the connection string. */
export interface DbEnv {
  HYPERDRIVE?: HyperdriveBinding | undefined;
  DATABASE_URL?: string | undefined;
}

/** A URL, a Hyperdrive binding, or an env object with HYPERDRIVE / DATABASE_URL. */
export type ConnectionSource = string | HyperdriveBinding | DbEnv;

export type Runtime = 'node' | 'workers';

/** Options of the Workers client: each request builds its own. */
export interface WorkerDbOptions {
  /** Log every SQL statement through drizzle's logger (default false). */
  logger?: boolean;
}

/** Options of the Node pool. */
export interface NodeDbOptions extends WorkerDbOptions {
  /** Pool size, in connections (default 10). */
  max?: number;
  /**
   * Reuse one pool per connection string for the whole process (default true); the first
   * call's options win. `false` creates a private pool that the caller must close().
   */
  shared?: boolean;
}

export interface CreateDbOptions extends NodeDbOptions {
  /** Default: 'workers' inside workerd (navigator.userAgent), otherwise 'node'. */
  runtime?: Runtime;
}

/** A Node pool: close() ends it (safe to call more than once). */
export interface NodeDb extends DbClient {
  close(): Promise<void>;
}

export const DEFAULT_NODE_POOL_MAX = 10;

/** Options of the per-request Workers connection (see PITFALLS, "PostgreSQL from Workers"). */
export const WORKERS_CLIENT_OPTIONS = { max: 1, fetch_types: false, connect_timeout: 5 } as const;

/** True inside workerd (Cloudflare Workers, wrangler dev, Miniflare). */
export function isWorkersRuntime(): boolean {
  return typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';
}

/** The connection string of a URL, a Hyperdrive binding, or an env (HYPERDRIVE wins over DATABASE_URL). */
export function resolveConnectionString(source: ConnectionSource): string {
  if (typeof source === 'string') {
    if (source.length > 0) return source;
  } else if ('connectionString' in source && typeof source.connectionString === 'string') {
    return source.connectionString;
  } else if ('HYPERDRIVE' in source || 'DATABASE_URL' in source) {
    const env = source as DbEnv;
    const url = env.HYPERDRIVE?.connectionString ?? env.DATABASE_URL;
    if (url) return url;
  }
  throw new Error('No database connection string: pass a URL, or an env with HYPERDRIVE or DATABASE_URL');
}

/**
 * The client factory for both runtimes: a per-request client in Workers
 * (createWorkerDb), the process-wide pool in Node (createNodeDb).
 */
export function createDb(source: ConnectionSource, options: CreateDbOptions = {}): DbClient {
  const runtime = options.runtime ?? (isWorkersRuntime() ? 'workers' : 'node');
  return runtime === 'workers' ? createWorkerDb(source, options) : createNodeDb(source, options);
}

/**
 * Workers: a new single-connection client for this request. Never keep it beyond the
 * request and never call sql.end() (see the header of this file).
 */
export function createWorkerDb(source: ConnectionSource, options: WorkerDbOptions = {}): DbClient {
  const sql = postgres(resolveConnectionString(source), { ...WORKERS_CLIENT_OPTIONS });
  return { db: drizzle(sql, { schema, logger: options.logger ?? false }), sql };
}

const sharedPools = new Map<string, NodeDb>();

/** Node: the process-wide pool for this connection string (or a private one with shared: false). */
export function createNodeDb(source: ConnectionSource, options: NodeDbOptions = {}): NodeDb {
  const url = resolveConnectionString(source);
  const shared = options.shared ?? true;
  const existing = shared ? sharedPools.get(url) : undefined;
  if (existing) return existing;

  const max = options.max ?? DEFAULT_NODE_POOL_MAX;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`createNodeDb: max must be a positive integer, got ${max}`);
  const sql = postgres(url, { max, idle_timeout: 30, connect_timeout: 10 });
  let closing: Promise<void> | undefined;
  const client: NodeDb = {
    db: drizzle(sql, { schema, logger: options.logger ?? false }),
    sql,
    close: () => {
      if (sharedPools.get(url) === client) sharedPools.delete(url);
      closing ??= sql.end({ timeout: 5 });
      return closing;
    },
  };
  if (shared) sharedPools.set(url, client);
  return client;
}

/** Node: close every shared pool (graceful shutdown, test teardown). */
export async function closeSharedDbs(): Promise<void> {
  await Promise.all([...sharedPools.values()].map((c) => c.close()));
}

/** Readiness probe: one round trip (`select 1`). Rejects when the database does not answer. */
export async function pingDatabase(client: Pick<DbClient, 'sql'>): Promise<void> {
  await client.sql`select 1`;
}

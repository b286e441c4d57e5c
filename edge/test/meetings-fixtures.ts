// Shared set-up of the meetings suites: a JSON API client over the edge under test,
// a private Postgres pool for checks, throwaway databases with pg_stat_statements,
// and a TCP Redis subscriber.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis as TcpRedis } from 'ioredis';
import { createNodeDb, type NodeDb } from '@huddle/db';
import { migrate } from '@huddle/db/migrate';
import type { EdgeUnderTest } from './harness.ts';
import { authHeaders } from './users-helper.ts';

export const testDatabaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A status and parsed JSON body (null when the body is empty). */
export interface JsonReply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Requests as one user: `call('POST', '/api/v1/meetings', body)`. */
export type Caller = <T = any>(method: string, path: string, body?: unknown) => Promise<JsonReply<T>>;

/** Something with the harness's fetch (workerd, or the Node app wrapped alike). */
export type Fetcher = Pick<EdgeUnderTest, 'fetch'>;

/** A JSON client acting as the holder of `token`. */
export function callerFor(edge: Fetcher, token: string): Caller {
  return async (method, path, body) => {
    const init: RequestInit = { method, headers: authHeaders(token) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await edge.fetch(path, init);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };
}

/** A valid create-meeting body; override any field. */
export function meetingInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: `Sync ${randomBytes(3).toString('hex')}`,
    startTime: new Date(Date.now() + 3_600_000).toISOString(),
    duration: 30,
    ...overrides,
  };
}

/** A private Postgres pool for checks; close() it in afterAll. */
export const openPg = (url = testDatabaseUrl): NodeDb => createNodeDb(url, { shared: false, max: 3 });

/** Meetings created by `userId`, and participant rows in them. */
export async function countOwned(pg: NodeDb, userId: string): Promise<{ meetings: number; participants: number }> {
  const [row] = await pg.sql<{ meetings: number; participants: number }[]>`
    select (select count(*)::int from meetings where creator_id = ${userId}) as meetings,
           (select count(*)::int from meeting_participants p join meetings m on m.id = p.meeting_id
             where m.creator_id = ${userId}) as participants`;
  return row ?? { meetings: -1, participants: -1 };
}

/** A UUID no row has. */
export const unknownId = (): string => crypto.randomUUID();

/** A TCP Redis client (checks of keys and TTLs, subscriptions). */
export const openRedis = (): TcpRedis => new TcpRedis(redisUrl, { protocol: 2, lazyConnect: false });

/** A message received by collectMessages(). */
export interface ReceivedMessage {
  channel: string;
  payload: unknown;
}

/** Subscribes to `channels` and to the glob `patterns`, and collects every message until close(). */
export async function collectMessages(
  channels: string[],
  patterns: string[] = [],
): Promise<{
  messages: ReceivedMessage[];
  waitFor(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}> {
  const subscriber = openRedis();
  const messages: ReceivedMessage[] = [];
  subscriber.on('message', (channel: string, message: string) => messages.push({ channel, payload: JSON.parse(message) }));
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) =>
    messages.push({ channel, payload: JSON.parse(message) }),
  );
  if (channels.length > 0) await subscriber.subscribe(...channels);
  if (patterns.length > 0) await subscriber.psubscribe(...patterns);
  return {
    messages,
    async waitFor(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for messages; have ${JSON.stringify(messages)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await subscriber.quit();
    },
  };
}

/** A migrated database of its own, with pg_stat_statements; drop() removes it. */
export interface CountedDb {
  name: string;
  url: string;
  /** Executions recorded by pg_stat_statements in this database of statements naming a meetings table. */
  meetingQueryCalls(): Promise<number>;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * CREATE DATABASE huddle_meetings_<random>, migrated, with pg_stat_statements, for
 * counting the queries an edge pointed at it sends (startEdge({ databaseUrl })).
 */
export async function createCountedDb(): Promise<CountedDb> {
  const name = `huddle_meetings_${randomBytes(6).toString('hex')}`;
  const admin = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabase(testDatabaseUrl, name);
  await migrate(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`create extension if not exists pg_stat_statements`;
  return {
    name,
    url,
    async meetingQueryCalls() {
      // pg_stat_statements is server-wide: keep this database's rows, and leave out
      // this counting query itself (it names meetings too).
      const [row] = await sql<{ calls: string }[]>`
        select coalesce(sum(calls), 0)::text as calls
          from pg_stat_statements
         where dbid = (select oid from pg_database where datname = ${name})
           and query ilike '%meetings%'
           and query not ilike '%pg_stat_statements%'`;
      return Number(row?.calls ?? 0);
    },
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

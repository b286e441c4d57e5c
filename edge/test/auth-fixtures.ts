import { Redis } from '@upstash/redis';
import { createNodeDb, type NodeDb } from '@huddle/db';
import { startEdge, testSecrets, type EdgeUnderTest } from './harness.ts';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';

/** What the auth suites work with: the edge in workerd, a Postgres pool and a REST Redis client. */
export interface AuthSuite {
  edge: EdgeUnderTest;
  pg: NodeDb;
  redis: Redis;
}

export async function openAuthSuite(): Promise<AuthSuite> {
  return {
    edge: await startEdge({ databaseUrl: testDatabaseUrl }),
    pg: createNodeDb(testDatabaseUrl, { shared: false, max: 2 }),
    redis: new Redis({
      url: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
      token: testSecrets.UPSTASH_REDIS_REST_TOKEN,
    }),
  };
}

export async function closeAuthSuite(suite: Partial<AuthSuite>): Promise<void> {
  await suite.edge?.close();
  await suite.pg?.close();
}

// Test helpers: each test file gets its own throwaway database so files run in parallel.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL || 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';

export interface ThrowawayDb {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** CREATE DATABASE huddle_<prefix>_<random> on the test server; drop() removes it (WITH FORCE). */
export async function createThrowawayDb(prefix = 'mig'): Promise<ThrowawayDb> {
  const name = `huddle_${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return {
    name,
    url: withDatabase(TEST_DATABASE_URL, name),
    drop: async () => {
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** Runs `fn`, expects it to reject, and returns the rejection. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

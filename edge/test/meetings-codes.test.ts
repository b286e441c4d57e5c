// Meeting codes: format and uniform letters, and the retry on a unique-code collision
// against the real database (forced with an injected generator).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { Redis } from '@upstash/redis';
import type { Redis as WorkerRedis } from '@upstash/redis/cloudflare';
import { meetingCodeRegExp, meetings, users, type NodeDb } from '@huddle/db';
import { ApiError } from '../src/lib/api-error.ts';
import { loadConfig } from '../src/config.ts';
import type { RequestDeps } from '../src/env.ts';
import { generateMeetingCode, insertWithUniqueCode } from '../src/services/meeting-codes.ts';
import { createMeeting } from '../src/services/meetings.ts';
import { testSecrets } from './harness.ts';
import { openPg } from './meetings-fixtures.ts';

let pg: NodeDb;
let creatorId: string;

/** A code nobody has used: a fresh random one (collisions are ~1 in 10^14). */
const freshCode = () => generateMeetingCode();

beforeAll(async () => {
  pg = openPg();
  const name = `c_${randomBytes(6).toString('hex')}`;
  const [user] = await pg.db
    .insert(users)
    .values({ username: name, email: `${name}@example.test`, passwordHash: 'not-a-real-hash' })
    .returning({ id: users.id });
  creatorId = user!.id;
});
afterAll(async () => {
  await pg.sql`delete from meetings where creator_id = ${creatorId}`;
  await pg.sql`delete from users where id = ${creatorId}`;
  await pg.close();
});

async function insertExisting(code: string): Promise<void> {
  await pg.db.insert(meetings).values({ title: 'Existing', meetingCode: code, creatorId, startTime: new Date(), durationMinutes: 30 });
}

const countWithCode = async (code: string) =>
  Number((await pg.sql`select count(*)::int as n from meetings where meeting_code = ${code}`)[0]?.n);

describe('generateMeetingCode', () => {
  it('looks like abc-defg-hij and does not repeat', () => {
    const codes = Array.from({ length: 2_000 }, () => generateMeetingCode());
    for (const code of codes) expect(code).toMatch(meetingCodeRegExp);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('maps bytes 0..233 to letters (byte % 26) and skips 234..255 (no modulo bias)', () => {
    const high = Array.from({ length: 22 }, (_, i) => 234 + i);
    const bytes = [...high, 0, 25, 26, 51, 233, 1, 2, 3, 4, 5, 255, 6];
    const source = (buffer: Uint8Array<ArrayBuffer>) => {
      buffer.fill(255);
      buffer.set(bytes.slice(0, buffer.length));
      bytes.splice(0, buffer.length);
      return buffer;
    };
    // 0→a 25→z 26→a 51→z 233→z 1→b 2→c 3→d 4→e 5→f
    expect(generateMeetingCode(source)).toBe('aza-zzbc-def');
  });

  it('draws every letter about equally often (chi-square over 26,000 letters)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2_600; i++) {
      for (const letter of generateMeetingCode().replaceAll('-', '')) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
    expect(counts.size).toBe(26);
    const expected = 1_000;
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 25 degrees of freedom: P(chi² > 70) ≈ 4e-6 for a uniform source.
    expect(chiSquare).toBeLessThan(70);
  });
});

describe('insertWithUniqueCode (real database)', () => {
  it('retries in a savepoint after a collision and keeps the transaction usable', async () => {
    const taken = freshCode();
    await insertExisting(taken);
    const free = freshCode();
    const offered = [taken, taken, free];
    const result = await pg.db.transaction(async (tx) => {
      const attempt = await insertWithUniqueCode(
        tx,
        async (savepoint, code) => {
          const [row] = await savepoint
            .insert(meetings)
            .values({ title: 'Retried', meetingCode: code, creatorId, startTime: new Date(), durationMinutes: 30 })
            .returning({ id: meetings.id });
          return row!.id;
        },
        { generate: () => offered.shift()! },
      );
      // The outer transaction goes on after the rolled-back attempts.
      await tx.update(meetings).set({ title: 'Retried and renamed' }).where(eq(meetings.id, attempt.value));
      return attempt;
    });
    expect(result.attempts).toBe(3);
    expect(result.code).toBe(free);
    const [row] = await pg.sql`select title, meeting_code from meetings where id = ${result.value}`;
    expect(row).toEqual({ title: 'Retried and renamed', meeting_code: free });
    expect(await countWithCode(taken)).toBe(1);
  });

  it('gives up after maxAttempts collisions with 503, and other errors pass straight through', async () => {
    const taken = freshCode();
    await insertExisting(taken);
    let calls = 0;
    const insert = async (savepoint: Parameters<Parameters<typeof insertWithUniqueCode>[1]>[0], code: string) => {
      await savepoint.insert(meetings).values({ title: 'Never', meetingCode: code, creatorId, startTime: new Date(), durationMinutes: 30 });
    };
    const exhausted = await pg.db
      .transaction((tx) => insertWithUniqueCode(tx, insert, { generate: () => {
          calls++;
          return taken;
        }, maxAttempts: 3 }))
      .catch((error: unknown) => error);
    expect(calls).toBe(3);
    expect(exhausted).toBeInstanceOf(ApiError);
    expect(exhausted).toMatchObject({ status: 503, code: 'meeting_code_unavailable' });

    let generated = 0;
    const badTitle = await pg.db
      .transaction((tx) =>
        insertWithUniqueCode(
          tx,
          async (savepoint, code) => {
            await savepoint.insert(meetings).values({ title: '', meetingCode: code, creatorId, startTime: new Date(), durationMinutes: 30 });
          },
          {
            generate: () => {
              generated++;
              return freshCode();
            },
          },
        ),
      )
      .catch((error: unknown) => error);
    expect(generated).toBe(1);
    expect(badTitle).not.toBeInstanceOf(ApiError);
    expect(await pg.sql`select 1 from meetings where title = 'Never' and creator_id = ${creatorId}`).toHaveLength(0);
  });

  it('createMeeting uses the next code when the first is taken, and writes host and meeting once', async () => {
    const taken = freshCode();
    await insertExisting(taken);
    const free = freshCode();
    const offered = [taken, free];
    const env = { UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079', ...testSecrets };
    const deps: RequestDeps = {
      config: loadConfig(env),
      db: () => pg,
      redis: new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }) as unknown as WorkerRedis,
    };
    const meeting = await createMeeting(
      deps,
      creatorId,
      { title: 'Collided', startTime: new Date(Date.now() + 60_000), duration: 15 },
      { generate: () => offered.shift()! },
    );
    expect(meeting.meetingCode).toBe(free);
    expect(meeting.participants).toEqual([{ userId: creatorId, role: 'host', status: 'accepted' }]);
    expect(await countWithCode(taken)).toBe(1);
    expect(await countWithCode(free)).toBe(1);
    expect(await pg.sql`select 1 from meeting_participants where meeting_id = ${meeting.id}`).toHaveLength(1);
  });
});

// Test set-up shared by the join, AI task, bad-input and node-adapter suites: meetings
// inserted straight into Postgres, a private media node registry in Redis (a unique key
// prefix per suite, so suites never see each other's nodes), and a TCP Redis client.
import { randomBytes } from 'node:crypto';
import { Redis as TcpRedis } from 'ioredis';
import {
  createNodeDb,
  meetingParticipants,
  meetings,
  type MeetingStatus,
  type NodeDb,
  type ParticipantRole,
  type ParticipantStatus,
} from '@huddle/db';
import { mediaNodeEntrySchema, mediaNodeRegistryKeys, type MediaNodeEntry } from '@huddle/protocol';

export const testDatabaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';

/** A private Postgres pool for test set-up and checks; close() it in afterAll. */
export const openTestDb = (): NodeDb => createNodeDb(testDatabaseUrl, { shared: false, max: 2 });

/** A TCP Redis client on the local Redis (reads streams with XRANGE, writes registry entries). */
export const openTestRedis = (): TcpRedis =>
  new TcpRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { protocol: 2, lazyConnect: false });

/** A random meeting code in the `abc-defg-hij` format. */
export function randomMeetingCode(): string {
  const letters = [...randomBytes(10)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7)}`;
}

export interface TestParticipant {
  userId: string;
  role?: ParticipantRole;
  status?: ParticipantStatus;
}

/**
 * Inserts a meeting hosted by `hostId` (participant: host, accepted) with the given
 * other participants, and returns its id.
 */
export async function insertMeeting(
  pg: NodeDb,
  options: { hostId: string; status?: MeetingStatus; participants?: TestParticipant[]; title?: string },
): Promise<string> {
  const status = options.status ?? 'scheduled';
  const startedAt = status === 'ongoing' || status === 'ended' ? new Date(Date.now() - 60_000) : null;
  const [row] = await pg.db
    .insert(meetings)
    .values({
      title: options.title ?? 'Test meeting',
      meetingCode: randomMeetingCode(),
      creatorId: options.hostId,
      startTime: new Date(Date.now() + 60_000),
      durationMinutes: 30,
      status,
      startedAt,
      endedAt: status === 'ended' ? new Date() : null,
    })
    .returning({ id: meetings.id });
  if (!row) throw new Error('meeting insert returned no row');
  await pg.db.insert(meetingParticipants).values([
    { meetingId: row.id, userId: options.hostId, role: 'host', status: 'accepted' },
    ...(options.participants ?? []).map((p) => ({
      meetingId: row.id,
      userId: p.userId,
      role: p.role ?? ('attendee' as const),
      status: p.status ?? ('pending' as const),
    })),
  ]);
  return row.id;
}

/**
 * A media node registry under its own key prefix, written the way a media node writes
 * it (SET EX + SADD in one MULTI). clear() removes everything it wrote.
 */
export class TestRegistry {
  readonly prefix: string;
  readonly #redis: TcpRedis;
  readonly #keys: ReturnType<typeof mediaNodeRegistryKeys>;
  readonly #nodeIds = new Set<string>();

  constructor(redis: TcpRedis, prefix = `test:${randomBytes(5).toString('hex')}:media:nodes:`) {
    this.#redis = redis;
    this.prefix = prefix;
    this.#keys = mediaNodeRegistryKeys(prefix);
  }

  get indexKey(): string {
    return this.#keys.index;
  }

  entryKey(nodeId: string): string {
    return this.#keys.entry(nodeId);
  }

  /** Registers (or heartbeats) a node; the entry lives `ttlMs` (default 15 s). */
  async register(
    nodeId: string,
    fields: Partial<Omit<MediaNodeEntry, 'nodeId'>> = {},
    ttlMs = 15_000,
  ): Promise<MediaNodeEntry> {
    const entry = mediaNodeEntrySchema.parse({
      nodeId,
      url: `wss://${nodeId.toLowerCase()}.media.test`,
      backend: 'mediasoup',
      connections: 0,
      rooms: 0,
      capacity: 100,
      updatedAt: new Date().toISOString(),
      ...fields,
    });
    this.#nodeIds.add(nodeId);
    await this.#redis
      .multi()
      .set(this.#keys.entry(nodeId), JSON.stringify(entry), 'PX', ttlMs)
      .sadd(this.#keys.index, nodeId)
      .exec();
    return entry;
  }

  /** Node ids currently in the index. */
  members(): Promise<string[]> {
    return this.#redis.smembers(this.#keys.index);
  }

  /** Removes every entry this registry wrote, and its index. */
  async clear(): Promise<void> {
    const keys = [...this.#nodeIds].map((id) => this.#keys.entry(id));
    await this.#redis.del(this.#keys.index, ...keys);
    this.#nodeIds.clear();
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
